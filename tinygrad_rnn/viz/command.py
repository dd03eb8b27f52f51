"""`tinygrad-rnn graph`: draw a small model's unrolled graph.

    tinygrad-rnn graph --model lstm --steps 4 -o lstm.svg
    tinygrad-rnn graph --model rnn --steps 100 --elide 3 -o rnn100.png
    tinygrad-rnn graph --model gru --steps 8 --collapse --grad-flow -o gru.pdf
    tinygrad-rnn graph --model rnn --steps 30 --plot-norms norms.png -o rnn.svg
    tinygrad-rnn graph --model lstm --steps 100 -o graph.html     # the interactive page

The model reads a random (steps, batch=2, 3) input with hidden size 4; the loss
is the mean square of the last step's output, so with --grad-flow the colours
show the gradient fading (or growing) back through time. The format comes from
the extension of -o: .svg, .png, .pdf, or .dot for the source alone; .html
writes the interactive page (`tr.viz.to_html`), whose backward stepper always
has the gradient norms to colour by, so the backward runs for it with or without --grad-flow.
"""

import os
import warnings
from contextlib import nullcontext

from .. import Tensor, manual_seed, nn, randn, record_grad_norms, scope
from .draw import draw_graph
from .grad_flow import plot_grad_norms
from .html import to_html
from .render import GraphvizMissingWarning, dot_available, render
from .values import record_values

MODELS = ("rnn", "lstm", "gru", "attention")
INPUT_SIZE, HIDDEN_SIZE, BATCH = 3, 4, 2


class EncoderAttention(nn.Module):
    """A GRU encoder, then additive attention of its last state over all its outputs."""

    def __init__(self, input_size, hidden_size, impl):
        super().__init__()
        self.encoder = nn.GRU(input_size, hidden_size, impl=impl)
        self.attention = nn.AdditiveAttention(hidden_size, hidden_size, hidden_size)

    def forward(self, x):
        outputs, h_n = self.encoder(x)                  # (T, batch, H), (1, batch, H)
        with scope("AdditiveAttention"):
            context, _ = self.attention(h_n[0], outputs.transpose(0, 1))
        return context.unsqueeze(0), h_n                # a one-step "sequence": (1, batch, H)


def build_model(name, input_size=INPUT_SIZE, hidden_size=HIDDEN_SIZE, impl="composite"):
    if name == "attention":
        return EncoderAttention(input_size, hidden_size, impl)
    layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[name]
    return layer(input_size, hidden_size, impl=impl)


def last_step_loss(model, x):
    """Mean square of the model's output at the last step."""
    output, _ = model(x)
    last = output[output.shape[0] - 1]
    return (last * last).mean()


def add_arguments(parser):
    parser.add_argument("--model", choices=MODELS, default="lstm", help="the model to unroll (default lstm)")
    parser.add_argument("--steps", type=int, default=5, help="time steps to unroll (default 5)")
    parser.add_argument("--collapse", action="store_true", help="draw each time step as one box")
    parser.add_argument("--elide", type=int, default=None, metavar="K",
                        help="keep the first K and last K steps, fold the rest into one node")
    parser.add_argument("--grad-flow", action="store_true",
                        help="run backward and colour nodes and edges by the gradient norm (log scale)")
    parser.add_argument("--fused", action="store_true",
                        help="draw the fused implementation (one op per cell) instead of the composite one")
    parser.add_argument("--plot-norms", metavar="FILE", default=None,
                        help="also plot ||dL/dh_t|| per step for a tanh RNN, an LSTM and a GRU (needs matplotlib)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("-o", "--output", default="graph.svg",
                        help="output file: .svg, .png, .pdf, .dot, or .html for the interactive page "
                             "(default graph.svg)")


def run(args):
    if args.steps < 1:
        raise SystemExit(f"tinygrad-rnn graph: --steps must be at least 1, got {args.steps}")
    impl = "fused" if args.fused else "composite"
    manual_seed(args.seed)
    model = build_model(args.model, impl=impl)
    x = randn(args.steps, BATCH, INPUT_SIZE)
    page = args.output.lower().endswith((".html", ".htm"))
    with record_values() if page else nullcontext():  # the page's tooltips show each op's values
        loss = last_step_loss(model, x)
    if args.grad_flow or page:
        with record_grad_norms():
            loss.backward()
    graph = draw_graph(loss, params=model, collapse=args.collapse, elide=args.elide, grad_flow=args.grad_flow)
    source_only = args.output.lower().endswith((".dot", ".gv"))
    if not source_only and not dot_available():  # one line saying what was not written, not a traceback
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GraphvizMissingWarning)
            written = render(graph, os.path.splitext(args.output)[0] + ".dot" if page else args.output)
        print(f"skipped {args.output}: Graphviz's `dot` is not installed (apt-get install graphviz or brew install "
              f"graphviz); wrote {written} instead")
    else:
        print(f"wrote {to_html(graph, args.output) if page else render(graph, args.output)}")
    if args.plot_norms:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print(f"skipped {args.plot_norms}: matplotlib is not installed (pip install matplotlib, or pip install "
                  "tinygrad_rnn[plot])")
            return 0
        plot_grad_norms(compare_models(x, impl), path=args.plot_norms,
                        title=f"||dL/dh_t|| over {args.steps} steps, loss on the last step")
        print(f"wrote {args.plot_norms}")
    return 0


def compare_models(x, impl="composite"):
    """{label: loss after backward} for a tanh RNN, an LSTM and a GRU on the same input `x`."""
    if not isinstance(x, Tensor):
        raise TypeError(f"compare_models: expected a Tensor input (T, batch, {INPUT_SIZE}), got {type(x).__name__}")
    losses = {}
    for label, name in (("tanh RNN", "rnn"), ("LSTM", "lstm"), ("GRU", "gru")):
        loss = last_step_loss(build_model(name, input_size=x.shape[-1], impl=impl), x)
        with record_grad_norms():
            loss.backward()
        losses[label] = loss
    return losses

"""Gradient flow: colours for gradient norms on a log scale, and per-step norms.

After `with tr.record_grad_norms(): loss.backward()` every node of the graph
holds the norm of the gradient flowing out of it. Across the time steps of a
recurrent layer that norm is ||dL/dh_t|| (with c_t for an LSTM), which shrinks
geometrically backwards in time when gradients vanish and grows when they
explode. With default initialisation it shrinks for a tanh RNN and for an LSTM
alike (a default forget gate is near 1/2); an LSTM keeps far more of it when its
forget gate starts open, with a forget-gate bias of 1 or 2 (tutorial 2 measures
the two). `plot_grad_norms` plots it for several models side by side (tanh RNN
against LSTM and GRU), and `draw_graph(..., grad_flow=True)`
colours the drawing with it. On the composite path each step's norm is read off
the step's ops; a fused layer's BPTT op records the norm of every step itself.
The per-step numbers for one layer's output are `tr.nn.step_gradient_norms(loss, out)`.
"""

import math
import warnings

from ..autograd import topological_order
from ..bptt import BPTTOp
from ..errors import GraphError
from .graph import STEP, boundary_norms, step_prefix, trace

# ColorBrewer YlOrRd: a vanishing gradient fades to pale, an exploding one burns dark red
_RAMP = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"]
NO_GRADIENT = "#e8e8e8"  # nodes no gradient reached


class GradNormsMissing(GraphError):
    """Gradient flow was asked for on a graph whose backward recorded no norms."""


def missing_norms_message(what):
    return (f"{what}: this graph has no gradient norms; run the backward pass inside "
            "`with tr.record_grad_norms(): loss.backward()` first (norms are recorded only there)")


class LogScale:
    """Maps a gradient norm to a colour by log10(norm) between the smallest and largest nonzero norm."""

    def __init__(self, norms):
        logs = [math.log10(n) for n in norms if n is not None and n > 0 and math.isfinite(n)]
        self.low, self.high = (min(logs), max(logs)) if logs else (0.0, 0.0)

    def fraction(self, norm):
        if norm is None or norm <= 0:
            return None
        if not math.isfinite(norm):
            return 1.0
        span = self.high - self.low
        return 0.5 if span == 0 else min(1.0, max(0.0, (math.log10(norm) - self.low) / span))

    def colour(self, norm):
        f = self.fraction(norm)
        return NO_GRADIENT if f is None else _interpolate(f)

    def font_colour(self, norm):
        f = self.fraction(norm)
        return "white" if f is not None and f > 0.6 else "black"

    def edge(self, norm):
        """Edge attributes: the node colour, darker so pale ones show on white, and a
        width growing with the norm, so a vanishing gradient is a thin line."""
        f = self.fraction(norm)
        if f is None:
            return dict(color="#bbbbbb", style="dashed")
        darker = "#" + "".join(f"{round(c * 0.8):02x}" for c in _hex(_interpolate(f)))
        return dict(color=darker, penwidth=f"{0.6 + 3.4 * f:.2f}")

    def ticks(self, n=5):
        """n (norm, colour) pairs spread evenly over the scale, smallest first."""
        if self.high == self.low:
            return [(10 ** self.low, _interpolate(0.5))]
        return [(10 ** (self.low + (self.high - self.low) * i / (n - 1)), _interpolate(i / (n - 1)))
                for i in range(n)]


def _interpolate(f):
    x = f * (len(_RAMP) - 1)
    i = min(int(x), len(_RAMP) - 2)
    a, b = _hex(_RAMP[i]), _hex(_RAMP[i + 1])
    w = x - i
    return "#" + "".join(f"{round(p + (q - p) * w):02x}" for p, q in zip(a, b))


def _hex(colour):
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


def step_grad_norms(tensor):
    """Deprecated: use `tr.nn.step_gradient_norms(loss, out)`, which runs the backward itself and
    returns ||dL/dh_t|| for the steps of one layer's output, on either implementation.

    {layer scope: [(t, ||dL/d(states handed on at step t)||), ...] sorted by t} below `tensor`,
    after a backward run inside `with tr.record_grad_norms():`."""
    warnings.warn("tr.viz.step_grad_norms is deprecated; use tr.nn.step_gradient_norms(loss, out), which runs "
                  "the backward and returns ||dL/dh_t|| per step", DeprecationWarning, stacklevel=2)
    return _recorded_step_norms(tensor)


def _recorded_step_norms(tensor):
    """{layer scope: [(t, norm), ...] sorted by t} from the norms a backward under record_grad_norms left:
    a composite layer's from the states each step hands on, a fused layer's from its BPTT op."""
    graph = trace(tensor)
    if all(n.grad_norm is None for n in graph.nodes.values() if n.kind in ("op", "output")):
        raise GradNormsMissing(missing_norms_message("step_grad_norms"))
    where = {k: (step_prefix(n.scope) or k) for k, n in graph.nodes.items()}
    curves = {}
    for group, norm in boundary_norms(graph, where).items():
        if isinstance(group, tuple):
            layer = " / ".join(group[:-1]) or "steps"
            curves.setdefault(layer, []).append((int(STEP.match(group[-1]).group(1)), norm))
    if tensor._ctx is not None:
        for fn in topological_order(tensor._ctx):
            if isinstance(fn, BPTTOp) and fn.step_state_grad_norms is not None:
                curves[" / ".join(fn.scope) or fn.family] = list(enumerate(fn.step_state_grad_norms))
    return {layer: sorted(points) for layer, points in curves.items()}


def plot_grad_norms(models, path=None, title="Gradient norm per time step"):
    """Plot ||dL/dh_t|| against t, one panel per model, side by side on a shared log axis.

    models: {label: loss Tensor after a backward under `tr.record_grad_norms()`},
    e.g. {"tanh RNN": loss_rnn, "LSTM": loss_lstm, "GRU": loss_gru}. Each layer of
    a model is one line. Returns the matplotlib Figure; saves it to `path` if given.
    Needs matplotlib (`pip install tinygrad_rnn[plot]`).
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plot_grad_norms needs matplotlib: pip install tinygrad_rnn[plot] "
                          "(or pip install matplotlib)") from None
    if not models:
        raise ValueError("plot_grad_norms: expected at least one model, got an empty dict")
    curves = {label: _recorded_step_norms(loss) for label, loss in models.items()}
    # a bare Figure draws with Agg and leaves pyplot's global state (and any notebook backend) alone
    fig = Figure(figsize=(4.2 * len(curves), 3.4), layout="constrained")
    axes = fig.subplots(1, len(curves), sharey=True, squeeze=False)[0]
    for ax, (label, layers) in zip(axes, curves.items()):
        for layer, points in layers.items():
            ts, norms = zip(*points)
            ax.plot(ts, norms, marker="o", markersize=3, label=layer)
        ax.set_yscale("log")
        ax.set_title(label)
        ax.set_xlabel("time step t")
        ax.grid(True, which="both", alpha=0.3)
        if len(layers) > 1:
            ax.legend(fontsize="small")
    axes[0].set_ylabel(r"$\|\partial L / \partial h_t\|$")
    fig.suptitle(title)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig

"""`tinygrad-rnn demo`: watch a character-level LSTM learn to write Python.

    ids (B, T) -> Embedding -> LSTM -> Linear -> logits (B, T, V)
    loss = cross_entropy(logits, next ids), Adam, gradient norm clipped at 1

The corpus is the Python standard library's own source, read from the running
interpreter (see tinygrad_rnn/data/files/README.md). The demo prints text
sampled before and after training and writes into its output folder:

    loss.csv        step, training loss (nats per character)
    loss.png        the same curve, when matplotlib is installed
    unrolled.dot    the graph of a few unrolled LSTM steps, one cluster per step
    unrolled.svg    that graph drawn, when Graphviz's `dot` program is installed
    graph.html      that graph as a page to explore in a browser (hover a node, step
                    through the backward pass), also when `dot` is installed

and says at the end where the page is (or what it needs) and where the
tutorials' notebooks are.
"""

import argparse
import contextlib
import csv
import math
import sys
import time
from pathlib import Path

import tinygrad_rnn as tr
from tinygrad_rnn import backend, data, nn, optim, viz
from tinygrad_rnn.backend import np

PRIME = "def "


def add_arguments(parser):
    parser.add_argument("--steps", type=int, default=800, help="training steps (default 800)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="cpu (NumPy) or cuda (CuPy)")
    parser.add_argument("--out", default="tinygrad_rnn_demo", help="output folder (default ./tinygrad_rnn_demo)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64, help="characters per training window (BPTT length)")
    parser.add_argument("--hidden", type=int, default=256, help="LSTM hidden size")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--sample-chars", type=int, default=240, help="characters sampled before and after")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads on the CPU (default 1, the fastest for these small products, most of all "
                             "on a busy machine; 0 leaves BLAS its own default)")


class CharLSTM(nn.Module):
    """logits = Linear(LSTM(Embedding(ids))),  ids: (B, T) int -> (B, T, vocab)."""

    def __init__(self, vocab_size, hidden_size, embedding_dim=32):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        out, state = self.lstm(self.embed(ids), state)
        return self.head(out), state


def sample(model, vocab, prime, n_chars, temperature=0.8, device="cpu", rng=None):
    """Feed `prime`, then draw n_chars characters one at a time from softmax(logits / temperature)."""
    rng = rng or backend.rng()
    with tr.no_grad():
        ids = tr.tensor(vocab.encode(prime)[None, :], device=device)
        logits, state = model(ids)
        out = []
        for _ in range(n_chars):
            p = (logits[:, -1] / temperature).softmax(axis=-1).numpy()[0].astype(np.float64)
            nxt = int(rng.choice(len(p), p=p / p.sum()))
            out.append(nxt)
            logits, state = model(tr.tensor(np.array([[nxt]], dtype=np.int64), device=device), state)
    return prime + vocab.decode(out)


def random_windows(ids, batch_size, seq_len, rng):
    """inputs, targets (B, T): random windows of the text and the same shifted one character on."""
    starts = rng.integers(0, len(ids) - seq_len - 1, size=batch_size)
    index = starts[:, None] + np.arange(seq_len)[None, :]
    return ids[index], ids[index + 1]


class Progress:
    """A one-line progress bar on stderr: step, loss, steps/s and characters/s, time left."""

    def __init__(self, total, chars_per_step, stream=sys.stderr, width=24):
        self.total, self.chars_per_step, self.stream, self.width = total, chars_per_step, stream, width
        self.start = time.perf_counter()
        self.live = stream.isatty()
        self.last_line = 0.0

    def update(self, step, loss):
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        rate = step / elapsed
        done = int(self.width * step / self.total)
        line = (f"[{'#' * done}{'.' * (self.width - done)}] step {step}/{self.total}  loss {loss:.3f}  "
                f"{rate:.1f} steps/s  {rate * self.chars_per_step / 1000:.1f}k chars/s  "
                f"ETA {(self.total - step) / rate:.0f}s")
        if self.live:
            self.stream.write("\r" + line)
            if step == self.total:
                self.stream.write("\n")
        elif step == self.total or elapsed - self.last_line >= 5:  # a log file gets a line every 5 s
            self.stream.write(line + "\n")
            self.last_line = elapsed
        self.stream.flush()


def write_loss_curve(out, losses):
    """loss.csv always; loss.png when matplotlib is installed. Returns the paths written."""
    written = [out / "loss.csv"]
    with open(written[0], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", "loss"])
        w.writerows((i + 1, f"{loss:.6f}") for i, loss in enumerate(losses))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("skipped loss.png: matplotlib is not installed (pip install matplotlib, or pip install "
              "tinygrad_rnn[plot]); loss.csv holds the same curve")
        return written
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(1, len(losses) + 1), losses, lw=1)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (nats / char)")
    ax.set_title("Character-level LSTM on Python source")
    fig.tight_layout()
    fig.savefig(out / "loss.png", dpi=120)
    plt.close(fig)
    return written + [out / "loss.png"]


def write_unrolled_graph(out, model, vocab, device, steps=3):
    """The graph of `steps` unrolled LSTM steps on one short window: .dot always, .svg and
    the interactive graph.html when dot exists."""
    ids = tr.tensor(vocab.encode(PRIME[:1] * (steps + 1))[None, :], device=device)
    trained_impl, model.lstm.impl = model.lstm.impl, "composite"  # every step drawn, not one fused node
    try:
        with viz.record_values():  # each op's min, max, mean and norm, for the page's tooltips
            logits, _ = model(ids[:, :steps])
    finally:
        model.lstm.impl = trained_impl
    loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), ids[:, 1:].reshape(-1))
    graph = viz.draw_graph(loss, params=model)
    written = [Path(viz.render(graph, out / "unrolled.dot"))]
    if viz.dot_available():
        written.append(Path(viz.render(graph, out / "unrolled.svg")))
        with tr.record_grad_norms():  # the page's backward stepper colours nodes by these norms
            loss.backward()
        written.append(Path(viz.to_html(loss, out / "graph.html", params=model)))
    else:
        print("skipped unrolled.svg and graph.html: Graphviz's `dot` is not installed (apt-get install graphviz "
              "or brew install graphviz); unrolled.dot was written: dot -Tsvg unrolled.dot -o unrolled.svg")
    return written


def run(args):
    if args.threads < 0:
        print(f"tinygrad-rnn demo: --threads must be 0 (BLAS's default) or more, got {args.threads}", file=sys.stderr)
        return 2
    with blas_threads(args.threads if args.device == "cpu" else 0):
        return _run(args)


def blas_threads(n):
    """A context limiting BLAS to n threads (n = 0: no limit), through threadpoolctl.

    The demo's matrices are small (batch 32 x 256): a second BLAS thread gains
    little, and on a busy machine threads spinning against other processes made
    a step several times slower in our measurements. threadpoolctl is a dependency;
    a checkout run without it says so in one line and runs with BLAS's default."""
    if n == 0:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print(f"(threadpoolctl is not installed, so BLAS keeps its own thread count instead of {n}: "
              "pip install threadpoolctl)")
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def _run(args):
    if args.device == "cuda" and not tr.cuda_available():
        print(f"tinygrad-rnn demo: --device cuda was asked for, but {backend.cuda_unavailable_reason()}. "
              "Run without --device to train on the CPU.", file=sys.stderr)
        return 2
    if args.steps < 1:
        print(f"tinygrad-rnn demo: --steps must be at least 1, got {args.steps}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"output folder: {out.resolve()}")
    tr.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    text = data.load_stdlib_source()
    vocab = data.CharVocab(text)
    train_text, test_text = data.split_text(text, held_out=0.05)
    train_ids, test_ids = vocab.encode(train_text), vocab.encode(test_text)
    print(f"corpus: {len(text):,} characters of Python standard-library source "
          f"({len(data.STDLIB_MODULES)} modules), {len(vocab)} distinct characters")

    model = CharLSTM(len(vocab), args.hidden).to(args.device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: Embedding -> LSTM({args.hidden}) -> Linear, {n_params:,} parameters, on {args.device}")
    print(f"\n--- sampled before training ---\n{sample(model, vocab, PRIME, args.sample_chars, device=args.device)}\n")

    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    progress = Progress(args.steps, args.batch_size * args.seq_len)
    losses = []
    for step in range(1, args.steps + 1):
        x, y = random_windows(train_ids, args.batch_size, args.seq_len, rng)
        logits, _ = model(tr.tensor(x, device=args.device))
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), tr.tensor(y.reshape(-1), device=args.device))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        progress.update(step, losses[-1])
    seconds = time.perf_counter() - progress.start

    after = sample(model, vocab, PRIME, args.sample_chars, device=args.device)
    print(f"\n--- sampled after {args.steps} steps ---\n{after}\n")
    bits = held_out_bits_per_char(model, test_ids, args.device)
    unigram = unigram_bits_per_char(vocab.counts(train_text), test_ids)
    print(f"trained {args.steps} steps in {seconds:.1f}s; held-out {bits:.2f} bits/char "
          f"(a unigram model: {unigram:.2f}, a uniform guess: {math.log2(len(vocab)):.2f})")

    written = write_loss_curve(out, losses) + write_unrolled_graph(out, model, vocab, args.device)
    print(f"wrote to {out.resolve()}/: {', '.join(p.name for p in written)}")
    print(next_steps(out, written))
    return 0


def next_steps(out, written):
    """Where to look next: the interactive graph page (or why it is missing) and the tutorials' notebooks."""
    page = out / "graph.html"
    if page in written:
        graph = (f"explore the unrolled graph: open {page.resolve()} in a browser "
                 "(hover a node, click a step, step through the backward pass)")
    else:
        graph = ("unrolled.svg and graph.html were not written: they need Graphviz's dot program "
                 "(apt install graphviz, brew install graphviz or conda install graphviz)")
    return f"{graph}\nthe tutorials, as notebooks with their outputs: tutorials/*.ipynb in the source repository"


def held_out_bits_per_char(model, ids, device, window=200, max_windows=8):
    """Mean -log2 p(next char) over up to max_windows consecutive windows of the held-out text."""
    n = min(max_windows, (len(ids) - 1) // window)
    x = ids[:n * window].reshape(n, window)
    y = ids[1:n * window + 1].reshape(n, window)
    with tr.no_grad():
        logits, _ = model(tr.tensor(x, device=device))
        targets = tr.tensor(y.reshape(-1), device=device)
        nats = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets)
    return nats.item() / math.log(2)


def unigram_bits_per_char(counts, ids):
    """Bits per character of the model p(c) = count(c) / total, add-one smoothed."""
    p = (counts + 1) / (counts + 1).sum()
    return float(-np.log2(p[ids]).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tinygrad-rnn demo", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

"""What every tutorial shares: its command line, a results table, and saving figures.

    args = parse_args(__doc__, argv)   --quick, --device cpu|cuda, --out FOLDER, --seed
    print_table(rows, headers)         a plain-text table on stdout
    save(fig, args.out, "name.png")    write a matplotlib figure, return its path
    return finish(args, results)       write results.json beside the figures, return the results

Unknown arguments are ignored, so a script also runs inside Jupyter (whose
kernel passes its own -f argument). There the flags come from the environment:
TUTORIAL_QUICK=1 for --quick and TUTORIAL_DEVICE=cuda for --device cuda (in a
notebook's first cell: `%env TUTORIAL_QUICK=1`), and figures show inline.
"""

import argparse
import os
import sys
import time
from pathlib import Path


def parse_args(doc, argv=None, **defaults):
    name = Path(sys.argv[0]).stem if argv is None else "tutorial"
    parser = argparse.ArgumentParser(prog=name, description=(doc or "").strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("TUTORIAL_QUICK", "0") not in ("", "0"),
                        help="a small run (seconds) that still shows learning (or TUTORIAL_QUICK=1)")
    parser.add_argument("--device", default=os.environ.get("TUTORIAL_DEVICE", "cpu"), choices=["cpu", "cuda"],
                        help="cpu or cuda (or TUTORIAL_DEVICE=cuda)")
    parser.add_argument("--out", default=None, help="folder for figures and tables (default tutorial_out/<name>)")
    parser.add_argument("--seed", type=int, default=0)
    args, _ = parser.parse_known_args(argv)
    args.out = Path(args.out or Path("tutorial_out") / defaults.get("name", name))
    args.out.mkdir(parents=True, exist_ok=True)
    if args.device == "cpu":
        one_blas_thread()
    return args


def one_blas_thread():
    """Limit BLAS to one thread when threadpoolctl is installed: these matrices are small, and on a
    busy machine BLAS threads spinning against other processes can make each product far slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")


def check_device(device):
    """Stop with a clear message when CUDA is asked for and is not there."""
    import tinygrad_rnn as tr
    from tinygrad_rnn import backend
    if device == "cuda" and not tr.cuda_available():
        raise SystemExit(f"--device cuda: {backend.cuda_unavailable_reason()}")
    return device


def print_table(rows, headers, title=None):
    """rows: lists of cells (numbers are shown with 4 significant digits)."""
    cells = [[f"{c:.4g}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    if title:
        print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    print(line)
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    print()


def pyplot():
    """matplotlib.pyplot on the Agg backend, or None when matplotlib is not installed."""
    try:
        import matplotlib
        if "ipykernel" not in sys.modules:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: figures are skipped; pip install matplotlib)")
        return None
    return plt


def in_notebook():
    """True inside a Jupyter kernel, where figures and graphs are also shown inline."""
    return "ipykernel" in sys.modules


def show(obj):
    """Display a figure or graphviz graph inline in a notebook; nothing in a script."""
    if in_notebook():
        from IPython.display import display
        display(obj)


def save(fig, out, name):
    path = Path(out) / name
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    show(fig)
    import matplotlib.pyplot as plt
    plt.close(fig)
    print(f"saved {path}")
    return path


def save_graph(graph, out, name):
    """A graphviz.Digraph as name.dot, and name.svg when Graphviz's dot program is installed."""
    from tinygrad_rnn import viz
    path = Path(out) / name
    written = [viz.render(graph, path.with_suffix(".dot"))]
    if viz.dot_available():
        written.append(viz.render(graph, path.with_suffix(".svg")))
        show(graph)
    print(f"saved {', '.join(map(str, written))}" + ("" if len(written) > 1 else " (install Graphviz for the .svg)"))
    return path


def finish(args, results):
    """Write the tutorial's results to results.json in its output folder (the tests read it)."""
    import json
    path = Path(args.out) / "results.json"
    path.write_text(json.dumps(results, indent=2, default=float) + "\n")
    print(f"saved {path}")
    return results


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start

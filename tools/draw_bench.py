"""How long drawing a long unrolled graph takes: build the Digraph, then render it with dot.

    python tools/draw_bench.py                     # 1,000-step LSTM, hidden 8, batch 2
    python tools/draw_bench.py --steps 300 --render-full

For each drawing (every op, collapsed, elided, both) it prints the number of
nodes and edges, the time draw_graph takes (walking the recorded graph and
writing the DOT source) and the time dot takes to lay it out as SVG. Laying
out every op of a 1,000-step graph is dot's slow case (tens of thousands of
nodes in a thousand clusters), so it runs only with --render-full, under
--timeout seconds.
"""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import tinygrad_rnn as tr  # noqa: E402
from tinygrad_rnn import nn  # noqa: E402
from tinygrad_rnn.viz import dot_available, draw_graph  # noqa: E402

GLOBAL = ("graph", "node", "edge")  # attribute statements, not nodes


def best_of(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def render_seconds(source, timeout):
    start = time.perf_counter()
    try:
        subprocess.run(["dot", "-Tsvg", "-o", os.devnull], input=source.encode(), check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=8)
    parser.add_argument("--impl", choices=("composite", "fused"), default="composite")
    parser.add_argument("--elide", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--render-full", action="store_true", help="also lay out the drawing of every op with dot")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed to each dot run")
    args = parser.parse_args(argv)

    tr.manual_seed(0)
    model = nn.LSTM(4, args.hidden, impl=args.impl)
    start = time.perf_counter()
    output, _ = model(tr.randn(args.steps, 2, 4))
    loss = (output * output).mean()
    with tr.record_grad_norms():
        loss.backward()
    print(f"LSTM, {args.steps} steps, hidden {args.hidden}, {args.impl}: forward + backward "
          f"{time.perf_counter() - start:.2f} s")
    print(f"{'drawing':<28}{'nodes':>8}{'edges':>8}{'draw_graph s':>14}{'dot -Tsvg s':>14}")
    cases = [("every op", {}), ("collapsed", dict(collapse=True)), (f"elided (k={args.elide})", dict(elide=args.elide)),
             ("collapsed + elided", dict(collapse=True, elide=args.elide)),
             ("collapsed + grad flow", dict(collapse=True, grad_flow=True))]
    for name, opts in cases:
        seconds, graph = best_of(lambda opts=opts: draw_graph(loss, params=model, **opts).source, args.repeat)
        lines = [line.strip() for line in graph.splitlines() if "invis" not in line]
        nodes = sum(1 for line in lines if " [" in line and "->" not in line and line.split()[0] not in GLOBAL)
        edges = sum(1 for line in lines if "->" in line)
        rendered = "no dot"
        if dot_available() and (args.render_full or opts):
            taken = render_seconds(graph, args.timeout)
            rendered = f"> {args.timeout:.0f}" if taken is None else f"{taken:.2f}"
        elif dot_available():
            rendered = "skipped"
        print(f"{name:<28}{nodes:>8}{edges:>8}{seconds:>14.3f}{rendered:>14}")


if __name__ == "__main__":
    main()

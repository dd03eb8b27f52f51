"""Long training run: does memory or time per step grow over many steps?

Trains a small LSTM regressor (Adam, a fresh random batch every step) for
--steps steps and prints, every --every steps, the process's resident memory
(RSS), the memory Python's allocators hold (tracemalloc's current figure:
NumPy's buffers and every Python object, so a graph that is never freed or a
list that keeps growing shows here first) and the median milliseconds per step
over the interval. A verdict at the end compares the first report after the
warm-up with the last one.

Each report first empties two caches of CPython that fill slowly and then
stop, and that would otherwise read as a leak in tracemalloc's figure for the
first ~2,000 steps: the free lists of small objects (tuples and the like,
emptied by a full gc.collect(); the graph has no reference cycles, so this
frees no graph) and the type attribute cache, whose 4,096 slots each keep
alive the last attribute name looked up through them (an f-string name such
as "weight_ih_l0" is a new string at every step), emptied by
sys._clear_type_cache(). What still grows is this tool's own list of reports
(a few hundred bytes each).

    python tools/long_run.py                         # 10,000 steps, a report every 1,000
    python tools/long_run.py --steps 3000 --every 500 --no-tracemalloc

The task: predict the running mean of the first input feature from
x: (T, batch, input) ~ N(0, 1); loss = mse(Linear(LSTM(x)), target).
tracemalloc slows every allocation, so the milliseconds are those of a
traced run unless --no-tracemalloc is given.
"""

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinygrad_rnn as tr  # noqa: E402
from tinygrad_rnn import nn, optim  # noqa: E402
from tinygrad_rnn.backend import np  # noqa: E402

MiB = 2 ** 20


def rss_bytes():
    """Resident set size of this process now (Linux /proc), or the peak from getrusage elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Regressor(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.head(output)


def settle():
    """Empty CPython's bounded caches (see the module docstring) before a memory reading."""
    gc.collect()
    sys._clear_type_cache()


def make_batch(generator, steps, batch, input_size):
    x = generator.standard_normal((steps, batch, input_size)).astype(np.float32)
    target = np.cumsum(x[:, :, :1], axis=0) / np.arange(1, steps + 1, dtype=np.float32)[:, None, None]
    return tr.tensor(x), tr.tensor(target)


def train(steps, every, input_size=8, hidden_size=32, batch=8, seq_len=20, lr=1e-3, trace=True, seed=0):
    """Train and yield one report every `every` steps (and after the last):
    {"step", "loss", "rss", "traced" (bytes, None without tracing), "ms" (median per step in the interval)}."""
    tr.manual_seed(seed)
    generator = np.random.default_rng(seed)
    model = Regressor(input_size, hidden_size)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    if trace:
        tracemalloc.start()
    try:
        times = []
        for step in range(1, steps + 1):
            x, target = make_batch(generator, seq_len, batch, input_size)
            start = time.perf_counter()
            loss = nn.functional.mse_loss(model(x), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            times.append(time.perf_counter() - start)
            if step % every == 0 or step == steps:
                settle()
                yield {"step": step, "loss": loss.item(), "rss": rss_bytes(),
                       "traced": tracemalloc.get_traced_memory()[0] if trace else None,
                       "ms": 1000 * statistics.median(times)}
                times = []
    finally:
        if trace:
            tracemalloc.stop()


def slope(points):
    """Least-squares slope of (x, y) points."""
    xs, ys = np.array([p[0] for p in points], dtype=float), np.array([p[1] for p in points], dtype=float)
    return float(np.polyfit(xs, ys, 1)[0]) if len(points) > 1 else 0.0


def verdict(reports, traced_tolerance=256 * 1024, rss_tolerance=8 * MiB, time_tolerance=1.3):
    """Lines judging growth between the first report (after warm-up) and the last."""
    first, last = reports[0], reports[-1]
    lines = []
    if first["traced"] is not None:
        grown = last["traced"] - first["traced"]
        per_step = slope([(r["step"], r["traced"]) for r in reports])
        ok = grown <= traced_tolerance
        lines.append(f"tracemalloc current: {first['traced'] / MiB:.3f} -> {last['traced'] / MiB:.3f} MiB "
                     f"({grown / 1024:+.1f} KiB, fitted slope {per_step:+.2f} bytes/step): "
                     f"{'no growth' if ok else 'GROWS'} (tolerance {traced_tolerance // 1024} KiB)")
    grown = last["rss"] - first["rss"]
    ok_rss = grown <= rss_tolerance
    lines.append(f"RSS: {first['rss'] / MiB:.1f} -> {last['rss'] / MiB:.1f} MiB ({grown / MiB:+.2f} MiB, fitted "
                 f"slope {slope([(r['step'], r['rss']) for r in reports]):+.1f} bytes/step): "
                 f"{'no growth' if ok_rss else 'GROWS'} (tolerance {rss_tolerance // MiB} MiB)")
    ratio = last["ms"] / first["ms"]
    lines.append(f"ms/step: {first['ms']:.2f} -> {last['ms']:.2f} (x{ratio:.2f}): "
                 f"{'no growth' if ratio <= time_tolerance else 'SLOWER'} (tolerance x{time_tolerance}; "
                 "a shared machine's load moves this figure)")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1_000, help="report every this many steps")
    parser.add_argument("--input-size", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq-len", type=int, default=20)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--no-tracemalloc", action="store_true", help="RSS only; faster steps")
    args = parser.parse_args(argv)

    print(f"LSTM({args.input_size}, {args.hidden}) + Linear({args.hidden}, 1), batch {args.batch}, T {args.seq_len}, "
          f"Adam lr {args.lr}, {args.steps} steps, impl {nn.get_recurrent_impl()}, "
          f"tracemalloc {'off' if args.no_tracemalloc else 'on'}", flush=True)
    print(f"{'step':>7} {'loss':>9} {'RSS MiB':>9} {'traced MiB':>11} {'ms/step':>8}", flush=True)
    reports = []
    for r in train(args.steps, args.every, args.input_size, args.hidden, args.batch, args.seq_len, args.lr,
                   trace=not args.no_tracemalloc):
        traced = f"{r['traced'] / MiB:.3f}" if r["traced"] is not None else "-"
        print(f"{r['step']:>7} {r['loss']:>9.5f} {r['rss'] / MiB:>9.1f} {traced:>11} {r['ms']:>8.2f}", flush=True)
        reports.append(r)
    print("verdict (first report vs last):")
    for line in verdict(reports):
        print("  " + line)


if __name__ == "__main__":
    main()

"""How fast is a training step of this library's recurrent layers, beside
PyTorch and beside the NumPy floor?

    python tools/bench.py                      # everything, plain tables
    python tools/bench.py --markdown           # the same as markdown (docs/benchmarks.md)
    python tools/bench.py --quick --only lstm --config 32,64,128,50
    python tools/bench.py --device cuda        # CuPy against PyTorch on CUDA

One training step: forward over T steps, loss = sum_t mean(head(h_t)^2) with a
Linear head (hidden -> input size), backward through time, SGD update, in
float32, with h_0 = c_0 = 0. Every column applies the head to the (T*B, H)
matrix of all steps' h_t at once (as the floor does), so the table compares
recurrent layers, not how each library folds a 3-D input of a Linear. The columns, all in one process on the same
parameters and inputs:

    fast        this library's recurrent layer, impl="fused": one BPTT-by-hand op per layer
                (tinygrad_rnn/bptt)
    composite   the same layer built from primitive ops
    torch       PyTorch's fused nn.LSTM / nn.GRU / nn.RNN
    torch cell  a Python loop over nn.LSTMCell / GRUCell / RNNCell
    floor       tools/numpy_floor.py: hand-written NumPy forward and BPTT,
                no autograd; what a NumPy engine can reach at best (in the
                faster gate layout for the batch size: gate-major from batch 2)
    GEMMs       the matrix products of the floor's step alone (as one
                (B, G*H) product per step each way)

Each figure is the median of repeated steps after warm-up, in milliseconds;
the columns are interleaved round by round, so a burst of load on a shared
machine hits all of them alike. The ratios divide the fast path's time by
PyTorch's fused layer's and by the floor's (below 1: faster).

Then: the engine's per-op overhead beside PyTorch's (tools/overhead.py), the
peak memory of one LSTM step at T = 1,000 (tracemalloc; PyTorch's allocator
is not traced, so only the floor stands beside it), and the time of a step
for T = 100, 1,000 and 10,000, which should grow linearly.
"""

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
import numpy_floor as floor  # noqa: E402

import tinygrad_rnn as tr  # noqa: E402
import tinygrad_rnn.nn  # noqa: E402, F401

CONFIGS = [(32, 64, 128, 50), (32, 64, 256, 100), (1, 16, 32, 200), (128, 128, 512, 50)]
KINDS = ("lstm", "gru", "rnn")
LAYER_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
COLUMNS = ("fast", "composite", "torch", "torch cell", "floor", "GEMMs")
LR = 1e-3
CELL_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


# ---- the contenders: each returns a function running one training step -------------------------------------------

def library_step(kind, params, x, fast, device="cpu"):
    """One step of tr.nn.LSTM/GRU/RNN + Linear head, SGD by hand; `fast` picks impl="fused", else "composite"."""
    steps, batch, size = x.shape
    hidden = params["weight_hh"].shape[1]
    layer = getattr(tr.nn, LAYER_NAMES[kind])(size, hidden, impl="fused" if fast else "composite")
    head = tr.nn.Linear(hidden, params["head_weight"].shape[0])
    layer.load_state_dict({f"{name}_l0": params[name] for name in CELL_NAMES})
    head.load_state_dict({"weight": params["head_weight"], "bias": params["head_bias"]})
    layer.to(device)
    head.to(device)
    weights = list(layer.parameters()) + list(head.parameters())
    inputs = tr.tensor(x, device=device)

    scale = 1.0 / (batch * head.out_features)

    def step():
        y = head(layer(inputs)[0].reshape(steps * batch, hidden))
        loss = (y * y).sum() * scale
        loss.backward()
        for p in weights:
            p.data -= LR * p.grad.data
            p.grad = None
        return loss
    return step


def torch_step(kind, params, x, cell_loop, device="cpu"):
    """One step of PyTorch's fused layer (or a Python loop over its cell) + Linear head, SGD by hand."""
    import torch
    steps, batch, size = x.shape
    hidden = params["weight_hh"].shape[1]
    if cell_loop:
        layer = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell, "rnn": torch.nn.RNNCell}[kind](size, hidden)
        names = {name: name for name in CELL_NAMES}
    else:
        layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind](size, hidden)
        names = {name: f"{name}_l0" for name in CELL_NAMES}
    head = torch.nn.Linear(hidden, params["head_weight"].shape[0])
    with torch.no_grad():
        for name, torch_name in names.items():
            getattr(layer, torch_name).copy_(torch.from_numpy(params[name]))
        head.weight.copy_(torch.from_numpy(params["head_weight"]))
        head.bias.copy_(torch.from_numpy(params["head_bias"]))
    layer.to(device)
    head.to(device)
    weights = list(layer.parameters()) + list(head.parameters())
    inputs = torch.from_numpy(x).to(device)
    zeros = torch.zeros(batch, hidden, device=device)

    def run_cells():
        h, c, outs = zeros, zeros, []
        for x_t in inputs:
            if kind == "lstm":
                h, c = layer(x_t, (h, c))
            else:
                h = layer(x_t, h)
            outs.append(h)
        return torch.stack(outs)

    scale = 1.0 / (batch * head.out_features)

    def step():
        y = head((run_cells() if cell_loop else layer(inputs)[0]).reshape(steps * batch, hidden))
        loss = (y * y).sum() * scale
        loss.backward()
        with torch.no_grad():
            for p in weights:
                p -= LR * p.grad
                p.grad = None
        return loss
    return step


def floor_step(kind, params, x):
    own = {name: p.copy() for name, p in params.items()}
    return lambda: floor.train_step(kind, own, x, LR)


def gemm_step(kind, params, x):
    scratch = floor.gemm_step(kind, params, x)
    return lambda: floor.gemm_step(kind, params, x, scratch)


# ---- timing ------------------------------------------------------------------------------------------------------

def synchronizer(device):
    """A function that waits for the GPU (a no-op on the CPU), so a timer sees the work done."""
    if device != "cuda":
        return lambda: None
    import cupy

    def sync():
        cupy.cuda.Device().synchronize()
        if torch_available() and _torch_cuda():  # a CPU-only torch has no CUDA to wait for
            import torch
            torch.cuda.synchronize()
    return sync


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def time_columns(steps, warmup, repeats, budget_s, sync):
    """Median ms of each step function, interleaved round by round.

    After `warmup` untimed rounds, rounds run until each column has `repeats`
    timings, or fewer when the rounds would take longer than `budget_s`.
    """
    for _ in range(warmup):
        for fn in steps.values():
            fn()
            sync()
    times = {name: [] for name in steps}
    started = time.perf_counter()
    for round_ in range(repeats):
        for name, fn in steps.items():
            gc.collect()
            start = clock()
            fn()
            sync()
            times[name].append(clock() - start)
        if round_ >= 2 and time.perf_counter() - started > budget_s:
            break
    return {name: statistics.median(ts) * 1e3 for name, ts in times.items()}


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def blas_threads():
    """(threads numpy's BLAS uses, how we know)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
        if threads:
            return int(threads), "from the environment"
        return os.cpu_count(), "assumed: one per core (threadpoolctl is not installed)"
    blas = [info for info in threadpool_info() if info.get("user_api") == "blas"]
    if not blas:
        return os.cpu_count(), "assumed: threadpoolctl found no BLAS"
    return blas[0]["num_threads"], f"{blas[0].get('internal_api', 'blas')} via threadpoolctl"


def benchmark_config(kind, config, args, sync):
    batch, size, hidden, steps = config
    params = floor.init_params(kind, size, hidden, size, seed=0)
    x = np.random.default_rng(1).standard_normal((steps, batch, size)).astype(np.float32)
    fns = {}
    fns["fast"] = library_step(kind, params, x, fast=True, device=args.device)
    fns["composite"] = library_step(kind, params, x, fast=False, device=args.device)
    if torch_available() and (args.device == "cpu" or _torch_cuda()):
        torch_device = "cuda" if args.device == "cuda" else "cpu"
        fns["torch"] = torch_step(kind, params, x, cell_loop=False, device=torch_device)
        fns["torch cell"] = torch_step(kind, params, x, cell_loop=True, device=torch_device)
    if args.device == "cpu":
        fns["floor"] = floor_step(kind, params, x)
        fns["GEMMs"] = gemm_step(kind, params, x)
    check_same_loss(kind, config, {name: fn() for name, fn in fns.items() if name != "GEMMs"})
    return time_columns(fns, args.warmup, args.repeats, args.budget, sync)


def check_same_loss(kind, config, losses):
    """Every column starts from the same parameters, so their first losses must agree: a column
    computing a different step would make its time meaningless."""
    values = {name: float(loss.item() if hasattr(loss, "item") else loss) for name, loss in losses.items()}
    reference = values.get("floor", next(iter(values.values())))
    for name, value in values.items():
        if abs(value - reference) > 1e-4 * abs(reference) + 1e-6:
            print(f"warning: {LAYER_NAMES[kind]} {config}: the {name} column's loss {value:.6g} differs from "
                  f"{reference:.6g}; it is not computing the same step", file=sys.stderr)


def _torch_cuda():
    import torch
    return torch.cuda.is_available()


def profile_fast_path(kind, config, device, sync, steps=5, lines=15):
    """cProfile of `steps` training steps of the fast path, by own time (the process's CPU clock)."""
    import cProfile
    import pstats
    batch, size, hidden, length = config
    params = floor.init_params(kind, size, hidden, size, seed=0)
    x = np.random.default_rng(1).standard_normal((length, batch, size)).astype(np.float32)
    fn = library_step(kind, params, x, fast=True, device=device)
    fn()
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(steps):
        fn()
        sync()
    profiler.disable()
    print(f"{LAYER_NAMES[kind]} fast path, (B, I, H, T) = {config}, {steps} steps:")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(lines)


# ---- memory and length -------------------------------------------------------------------------------------------

def peak_memory_mb(fn):
    """Peak bytes (MB) allocated while fn runs, above what was allocated before (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - before) / 2 ** 20


def memory_rows(batch=32, size=64, hidden=128, steps=1000):
    params = floor.init_params("lstm", size, hidden, size, seed=0)
    x = np.random.default_rng(1).standard_normal((steps, batch, size)).astype(np.float32)
    rows = {}
    for name, make in (("fast", lambda: library_step("lstm", params, x, fast=True)),
                       ("composite", lambda: library_step("lstm", params, x, fast=False)),
                       ("floor", lambda: floor_step("lstm", params, x))):
        fn = make()
        fn()  # warm: the first step may build caches that are not per-step memory
        rows[name] = peak_memory_mb(fn)
    return (batch, size, hidden, steps), rows


def length_rows(lengths, repeats, batch=32, size=64, hidden=128):
    """ms per training step of the LSTM fast path and the floor, for each T."""
    out = []
    for steps in lengths:
        params = floor.init_params("lstm", size, hidden, size, seed=0)
        x = np.random.default_rng(1).standard_normal((steps, batch, size)).astype(np.float32)
        fns = {"fast": library_step("lstm", params, x, fast=True), "floor": floor_step("lstm", params, x)}
        n = max(1, repeats if steps <= 1000 else repeats // 3)
        out.append((steps, time_columns(fns, 1, n, budget_s=60, sync=lambda: None)))
    return (batch, size, hidden), out


# ---- printing ----------------------------------------------------------------------------------------------------

def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "-"


def ms(value):
    if value is None:
        return "-"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def table(headers, rows, markdown):
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---:" for _ in headers) + "|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    return "\n".join([fmt.format(*headers)] + [fmt.format(*(str(c) for c in row)) for row in rows])


def speed_table(results, markdown):
    headers = ["layer", "(B, I, H, T)"] + [f"{c} ms" for c in COLUMNS] + [
        "fast / torch", "fast / floor", "composite / floor", "torch cell / fast"]
    rows = []
    for (kind, config), t in results:
        get = t.get
        rows.append([LAYER_NAMES[kind], "(" + ", ".join(map(str, config)) + ")"] + [ms(get(c)) for c in COLUMNS] + [
            ratio(get("fast"), get("torch")), ratio(get("fast"), get("floor")),
            ratio(get("composite"), get("floor")), ratio(get("torch cell"), get("fast"))])
    return table(headers, rows, markdown)


def header_lines(args):
    threads, how = blas_threads()
    lines = [f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
             f"BLAS threads {threads} ({how}), load average at start {os.getloadavg()[0]:.2f}"]
    if torch_available():
        import torch
        lines.append(f"torch {torch.__version__}, torch threads {torch.get_num_threads()}")
    else:
        lines.append("torch is not installed: its columns are empty")
    lines.append(f"device {args.device}; median of up to {args.repeats} steps after {args.warmup} warm-up rounds; "
                 f"{args.clock} clock")
    return lines


def parse_config(text):
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"--config expects four positive integers B,I,H,T, got {text!r}")
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(description="Training-step benchmark of the recurrent layers "
                                                 "against PyTorch and the NumPy floor.")
    parser.add_argument("--quick", action="store_true", help="few repeats and short sequences: a smoke test")
    parser.add_argument("--only", choices=KINDS, help="one layer kind instead of all three")
    parser.add_argument("--config", type=parse_config, action="append",
                        help="B,I,H,T (repeatable) instead of the four standard configurations")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    parser.add_argument("--repeats", type=int, help="timed rounds per configuration (default 15, quick 3)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds of timed rounds per configuration")
    parser.add_argument("--threads", type=int, help="BLAS and torch threads (needs threadpoolctl for numpy's "
                                                    "BLAS; else set OPENBLAS_NUM_THREADS)")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="wall",
                        help="wall time, or this process's CPU time (steadier on a busy machine, meaningful "
                             "with --threads 1 only: spinning BLAS threads count as busy)")
    parser.add_argument("--profile", action="store_true",
                        help="instead of the tables: cProfile of the fast path at the first chosen layer and "
                             "configuration, top lines by own time")
    parser.add_argument("--skip-extras", action="store_true", help="only the speed table")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 15)
    args.warmup = 1 if args.quick else 2

    global clock
    clock = CLOCKS[args.clock]
    if args.device == "cuda" and not tr.cuda_available():
        from tinygrad_rnn import backend
        print(f"--device cuda: skipped, {backend.cuda_unavailable_reason()}")
        return 0

    if args.threads:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            parser.error("--threads needs threadpoolctl (pip install threadpoolctl); "
                         "or set OPENBLAS_NUM_THREADS / OMP_NUM_THREADS before starting")
        threadpool_limits(args.threads)
    threads, _ = blas_threads()
    if torch_available():
        import torch
        torch.set_num_threads(threads)  # the same number of cores for both BLAS libraries
    out = print
    for line in header_lines(args):
        out(("- " if args.markdown else "") + line)
    out("")

    sync = synchronizer(args.device)
    kinds = (args.only,) if args.only else KINDS
    if args.profile:
        profile_fast_path(kinds[0], (args.config or CONFIGS)[0], args.device, sync)
        return 0
    results = []
    for kind in kinds:
        for config in args.config or CONFIGS:
            results.append(((kind, config), benchmark_config(kind, config, args, sync)))
            if not args.markdown:
                print(f"  done {LAYER_NAMES[kind]} {config}", file=sys.stderr)
    out("Training step, ms (median); ratios of the fast path to PyTorch fused and to the floor:\n")
    out(speed_table(results, args.markdown))
    if args.skip_extras or args.device != "cpu":
        return 0

    sys.path.insert(0, str(ROOT / "tools"))
    import overhead
    ops, rounds = (300, 5) if args.quick else (2000, 30)
    ours = overhead.ours(ops, rounds)
    theirs = overhead.pytorch(ops, rounds) if torch_available() else None
    if torch_available():
        import torch
        torch.set_num_threads(threads)  # overhead.pytorch pins one thread
    out("\nPer-op overhead, c = c + b on (4, 4) float32 (us per op):\n")
    rows = [["tinygrad_rnn", f"{ours[0]:.2f}", f"{ours[1]:.2f}", f"{sum(ours):.2f}"]]
    if theirs:
        rows.append(["torch", f"{theirs[0]:.2f}", f"{theirs[1]:.2f}", f"{sum(theirs):.2f}"])
    out(table(["", "forward", "backward", "total"], rows, args.markdown))

    config, mem = memory_rows(steps=200 if args.quick else 1000)
    out(f"\nPeak memory of one LSTM training step, (B, I, H, T) = {config} (MB, tracemalloc):\n")
    out(table(["", "peak MB", "/ floor"], [[name, f"{v:.1f}", ratio(v, mem["floor"])] for name, v in mem.items()],
              args.markdown))

    lengths = (100, 1000) if args.quick else (100, 1000, 10000)
    (batch, size, hidden), rows = length_rows(lengths, 3 if args.quick else 5)
    out(f"\nLSTM step time against sequence length, (B, I, H) = ({batch}, {size}, {hidden}):\n")
    out(table(["T", "fast ms", "fast us per t", "floor ms", "floor us per t", "fast / floor"],
              [[steps, ms(t["fast"]), f"{t['fast'] / steps * 1e3:.0f}", ms(t["floor"]),
                f"{t['floor'] / steps * 1e3:.0f}", ratio(t["fast"], t["floor"])] for steps, t in rows],
              args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())

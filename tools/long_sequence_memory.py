"""Memory of backpropagation through time over long sequences: bytes per step.

For each sequence length T, runs an LSTM forward over T steps and backward,
and reports tracemalloc's peak (NumPy's buffers and every Python object: the
graph's nodes, their saved arrays, the gradients), divided by T, and the slope
between successive lengths, which is the cost of one more step once the fixed
part (parameters, input) is paid. Memory linear in T shows as a constant slope.

    python tools/long_sequence_memory.py
    python tools/long_sequence_memory.py --impl composite --steps 1000 2000 4000 --hidden 16
"""

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinygrad_rnn as tr  # noqa: E402
from tinygrad_rnn import nn  # noqa: E402


def peak_bytes(lstm, steps, batch, input_size):
    """(peak bytes traced during forward + backward over `steps` steps, seconds)."""
    x = tr.randn(steps, batch, input_size)
    tracemalloc.start()
    try:
        start = time.perf_counter()
        output, (h_n, c_n) = lstm(x)
        (output.sum() + c_n.sum()).backward()
        seconds = time.perf_counter() - start
        return tracemalloc.get_traced_memory()[1], seconds
    finally:
        tracemalloc.stop()
        lstm.zero_grad()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 2000, 5000, 10000, 20000])
    parser.add_argument("--impl", choices=["fused", "composite"], default="fused")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--input-size", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=32)
    args = parser.parse_args(argv)

    tr.manual_seed(0)
    lstm = nn.LSTM(args.input_size, args.hidden, impl=args.impl)
    print(f"LSTM(input={args.input_size}, hidden={args.hidden}), batch {args.batch}, impl={args.impl}, float32; "
          f"tracemalloc peak of forward + backward")
    print(f"{'T':>8} {'peak MiB':>10} {'bytes/step':>11} {'slope bytes/step':>17} {'seconds':>8}")
    previous = None
    for steps in args.steps:
        peak, seconds = peak_bytes(lstm, steps, args.batch, args.input_size)
        slope = "" if previous is None else f"{(peak - previous[1]) / (steps - previous[0]):.0f}"
        print(f"{steps:>8} {peak / 2**20:>10.2f} {peak / steps:>11.0f} {slope:>17} {seconds:>8.2f}")
        previous = (steps, peak)


if __name__ == "__main__":
    main()

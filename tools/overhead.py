"""Per-op overhead of the engine, beside PyTorch's in the same process.

    python tools/overhead.py [--ops 2000] [--repeats 30]

On (4, 4) float32 tensors the arithmetic itself costs well under a
microsecond, so the time of `c = c + b` is almost all bookkeeping: building the
output Tensor and the graph node, and in backward walking the node, calling its
backward and summing gradients. A chain of `--ops` additions is timed forward
and backward; each figure is the median over `--repeats` chains divided by the
chain length, in microseconds per op. Time is this process's CPU time, so that
other programs on a busy machine do not inflate the figures.
"""

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import tinygrad_rnn as tr  # noqa: E402


def time_chain(make_leaves, add, backward, ops, repeats):
    """Median microseconds per op of the forward chain and of its backward."""
    forward_us, backward_us = [], []
    for _ in range(repeats + 1):  # the first round warms caches and is dropped
        c, b = make_leaves()
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            for _ in range(ops):
                c = add(c, b)
            middle = time.process_time()
            backward(c)
            end = time.process_time()
        finally:
            gc.enable()
        forward_us.append((middle - start) / ops * 1e6)
        backward_us.append((end - middle) / ops * 1e6)
        del c, b
    return statistics.median(forward_us[1:]), statistics.median(backward_us[1:])


def ours(ops, repeats):
    host = np.random.default_rng(0).standard_normal((2, 4, 4)).astype(np.float32)
    ones = np.ones((4, 4), dtype=np.float32)

    def leaves():
        return tr.tensor(host[0], requires_grad=True), tr.tensor(host[1], requires_grad=True)

    return time_chain(leaves, lambda c, b: c + b, lambda c: c.backward(ones), ops, repeats)


def pytorch(ops, repeats):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    host = np.random.default_rng(0).standard_normal((2, 4, 4)).astype(np.float32)
    ones = torch.ones(4, 4)

    def leaves():
        return (torch.tensor(host[0], requires_grad=True), torch.tensor(host[1], requires_grad=True))

    return time_chain(leaves, lambda c, b: c + b, lambda c: c.backward(ones), ops, repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000, help="length of the chain c = c + b")
    parser.add_argument("--repeats", type=int, default=30, help="chains timed; the median is reported")
    args = parser.parse_args(argv)

    rows = [("tinygrad_rnn", ours(args.ops, args.repeats)), ("torch", pytorch(args.ops, args.repeats))]
    print(f"c = c + b on (4, 4) float32, chain of {args.ops}, median of {args.repeats} (us per op)")
    print(f"{'':14}{'forward':>10}{'backward':>10}{'total':>10}")
    for name, result in rows:
        if result is None:
            print(f"{name:14}{'(not installed)':>30}")
            continue
        fwd, bwd = result
        print(f"{name:14}{fwd:10.2f}{bwd:10.2f}{fwd + bwd:10.2f}")


if __name__ == "__main__":
    main()

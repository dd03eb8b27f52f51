"""Milliseconds per LSTM training step: this library's fused and composite paths
beside PyTorch's nn.LSTM and a Python loop over PyTorch's nn.LSTMCell.

    python tools/lstm_step_time.py                     # batch 32, input 64, hidden 256, 100 steps
    python tools/lstm_step_time.py --batch 8 --steps 20 --repeats 3
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tools/lstm_step_time.py   # one thread each:
                                                  # steadier figures on a shared, loaded machine

One training step, float32, h_0 = c_0 = 0, the same weights and input everywhere:
forward over T steps, loss = mean(output^2), backward through time, and a
plain SGD update by hand (p <- p - lr * dL/dp). Each figure is the median over
--repeats steps after one warm-up step; the implementations take turns round by
round so that load on a shared machine falls on all of them alike.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import tinygrad_rnn as tr  # noqa: E402
from tinygrad_rnn import nn  # noqa: E402

LR = 0.01


def ours_step(impl, weights, x_np):
    layer = nn.LSTM(x_np.shape[2], weights["weight_hh_l0"].shape[1], impl=impl)
    layer.load_state_dict(weights)
    x = tr.tensor(x_np)

    def step():
        output, _ = layer(x)
        loss = (output * output).mean()
        loss.backward()
        for p in layer.parameters():
            p.data -= LR * p.grad.data
            p.grad = None
        return loss.item()
    return step


def torch_layer_step(torch, weights, x_np):
    layer = torch.nn.LSTM(x_np.shape[2], weights["weight_hh_l0"].shape[1])
    layer.load_state_dict({k: torch.tensor(v) for k, v in weights.items()})
    x = torch.tensor(x_np)

    def step():
        output, _ = layer(x)
        loss = (output * output).mean()
        loss.backward()
        with torch.no_grad():
            for p in layer.parameters():
                p -= LR * p.grad
                p.grad = None
        return loss.item()
    return step


def torch_cell_step(torch, weights, x_np):
    hidden = weights["weight_hh_l0"].shape[1]
    cell = torch.nn.LSTMCell(x_np.shape[2], hidden)
    cell.load_state_dict({k[:-3]: torch.tensor(v) for k, v in weights.items()})  # weight_ih_l0 -> weight_ih
    x = torch.tensor(x_np)

    def step():
        h = c = torch.zeros(x.shape[1], hidden)
        outputs = []
        for t in range(x.shape[0]):
            h, c = cell(x[t], (h, c))
            outputs.append(h)
        output = torch.stack(outputs)
        loss = (output * output).mean()
        loss.backward()
        with torch.no_grad():
            for p in cell.parameters():
                p -= LR * p.grad
                p.grad = None
        return loss.item()
    return step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--input", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    tr.manual_seed(0)
    weights = {k: v.numpy() for k, v in nn.LSTM(args.input, args.hidden).state_dict().items()}
    x_np = np.random.default_rng(0).standard_normal((args.steps, args.batch, args.input)).astype(np.float32)

    steps = {"tinygrad_rnn fused": ours_step("fused", weights, x_np),
             "tinygrad_rnn composite": ours_step("composite", weights, x_np)}
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: its columns are left out")
    if torch is not None:
        steps["torch nn.LSTM"] = torch_layer_step(torch, weights, x_np)
        steps["torch LSTMCell loop"] = torch_cell_step(torch, weights, x_np)

    losses = {name: step() for name, step in steps.items()}  # warm-up; the same weights give the same loss
    times = {name: [] for name in steps}
    for _ in range(args.repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(1000 * (time.perf_counter() - start))

    print(f"LSTM training step (forward, BPTT, SGD), float32, batch {args.batch}, input {args.input}, "
          f"hidden {args.hidden}, {args.steps} steps; median of {args.repeats} after 1 warm-up")
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
                                       if torch is not None else "") + f", {os.cpu_count()} CPUs")
    for name, ts in times.items():
        print(f"  {name:<24} {statistics.median(ts):9.1f} ms   (min {min(ts):.1f}, first loss {losses[name]:.6f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

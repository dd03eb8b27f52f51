"""Write the small checkpoints in tests/fixtures/ with PyTorch, for the tests that run without it.

    python tools/make_torch_fixtures.py            (needs torch; the library never imports it)

Every value is computed from its position (arange, scaled), so a test can
rebuild the expected numbers with NumPy alone: see `expected_values` in
tests/test_serialization_torch.py, which mirrors the formulas below.
"""

import pathlib
import sys
from collections import OrderedDict

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parents[1] / "tests" / "fixtures"


def ramp(*shape, dtype=torch.float32, scale=0.25):
    """0, 1, 2, ... times `scale` (no scale for ints and bools), in `shape`."""
    values = torch.arange(int(np.prod(shape)), dtype=torch.float64).reshape(shape)
    if dtype == torch.bool:
        return (values.long() % 3 == 0).to(torch.bool)
    if dtype.is_floating_point or dtype.is_complex:
        return (values * scale).to(dtype)
    return (values - 3).to(dtype) if dtype != torch.uint8 else values.to(dtype)


def fill(module):
    """Give every parameter of `module` the values ramp(shape) / (k + 1), k its position."""
    with torch.no_grad():
        for k, p in enumerate(module.parameters()):
            p.copy_(ramp(*p.shape, dtype=p.dtype) / (k + 1))
    return module


def tensors():
    base = ramp(4, 6)
    return {
        "float16": ramp(2, 3, dtype=torch.float16), "float32": ramp(2, 3), "float64": ramp(2, 3, dtype=torch.float64),
        "int8": ramp(5, dtype=torch.int8), "int16": ramp(5, dtype=torch.int16), "int32": ramp(5, dtype=torch.int32),
        "int64": ramp(5, dtype=torch.int64), "uint8": ramp(5, dtype=torch.uint8), "bool": ramp(5, dtype=torch.bool),
        "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3),
        "transposed": base.t(), "strided": base[::2, 1::2], "offset": base[1:, 2:],
        "shared_base": base, "shared_row": base[2],
        "expanded": ramp(3).expand(4, 3),
        "requires_grad": ramp(3, dtype=torch.float64).requires_grad_(),
        "parameter": torch.nn.Parameter(ramp(2, 2)),
        "nested": [1, 2.5, "text", None, True, b"bytes", (ramp(2), {"inner": ramp(1)}), OrderedDict(b=2, a=1)],
        7: {"int key": 1},
    }


def optimizer_state():
    """Adam after one step on the gradient ramp(shape) of each parameter of a Linear(3, 2)."""
    model = fill(torch.nn.Linear(3, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    for p in model.parameters():
        p.grad = ramp(*p.shape)
    opt.step()
    return opt.state_dict()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.save(tensors(), OUT / "torch_tensors.pt")
    torch.save(fill(torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)).state_dict(), OUT / "torch_lstm.pt")
    torch.save(fill(torch.nn.GRUCell(2, 3)).state_dict(), OUT / "torch_gru_cell.pt")
    torch.save(fill(torch.nn.RNN(2, 3, nonlinearity="relu", bias=False)).state_dict(), OUT / "torch_rnn_relu.pt")
    torch.save(optimizer_state(), OUT / "torch_adam.pt")
    torch.save(fill(torch.nn.Linear(2, 3)), OUT / "torch_whole_module.pt")
    torch.save({"array": np.arange(3)}, OUT / "torch_numpy_array.pt")
    torch.save({"w": ramp(2, 3)}, OUT / "torch_legacy.pt", _use_new_zipfile_serialization=False)
    for path in sorted(OUT.glob("torch_*.pt")):
        print(f"{path.relative_to(OUT.parents[1])}: {path.stat().st_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()

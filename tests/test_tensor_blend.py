"""lerp / addcmul / addcdiv and their in-place forms as PyTorch's: values (lerp's two-sided
formula included), gradients in and out of place, and the moving-average idiom under no_grad."""

import numpy as np
import pytest

import tinygrad_rnn as tr

torch = pytest.importorskip("torch")

R = np.random.default_rng(0)
A, B, C = R.standard_normal((3, 4)), R.standard_normal((3, 4)), R.uniform(0.5, 2.0, (3, 4))
W = R.uniform(0, 1, (3, 4))

CASES = [
    ("lerp_low", lambda L, x, y, z: x.lerp(y, 0.25)),
    ("lerp_high", lambda L, x, y, z: L.lerp(x, y, 0.75)),
    ("lerp_tensor_weight", lambda L, x, y, z: x.lerp(y, L.tensor(W))),
    ("addcmul", lambda L, x, y, z: x.addcmul(y, z, value=0.3)),
    ("addcdiv", lambda L, x, y, z: L.addcdiv(x, y, z, value=-2)),
    ("lerp_", lambda L, x, y, z: (x * 1).lerp_(y, 0.6)),
    ("addcmul_", lambda L, x, y, z: (x * 1).addcmul_(y, z, value=0.5)),
    ("addcdiv_", lambda L, x, y, z: (x + 0).addcdiv_(y, z)),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_matches_pytorch(name, fn):
    ours = [tr.tensor(a, requires_grad=True) for a in (A, B, C)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (A, B, C)]
    out, expected = fn(tr, *ours), fn(torch, *theirs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-14, atol=1e-15)
    out.sum().backward()
    expected.sum().backward()
    for a, b in zip(ours, theirs):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-14, atol=1e-15)


def test_moving_average_under_no_grad_matches_pytorch():
    results = []
    for lib in (tr, torch):
        ema, model = lib.tensor(A.copy()), lib.tensor(B, requires_grad=True)
        with lib.no_grad():
            for _ in range(3):
                ema.lerp_(model, 0.1)
                ema.addcmul_(model, model, value=0.01)
        results.append(ema.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-14)


def test_bad_operands_are_named():
    x = tr.ones(2)
    with pytest.raises(tr.ArgumentTypeError, match="addcdiv: tensor2 must be a Tensor, got int 0"):
        x.addcdiv(x, 0)
    with pytest.raises(tr.ArgumentTypeError, match="lerp: weight must be a Tensor or a number, got str 'a'"):
        x.lerp(x, "a")
    with pytest.raises(tr.ArgumentTypeError, match="addcmul_: value must be a Tensor or a number, got NoneType"):
        x.addcmul_(x, x, value=None)

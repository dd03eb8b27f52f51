"""Pointwise ops of one tensor: forward against NumPy, gradients by gradcheck."""

import numpy as np
import pytest

import tinygrad_rnn as tr

# name: (op on a Tensor, NumPy reference, smallest input magnitude or None)
UNARY = {
    "exp": (lambda x: x.exp(), np.exp, None),
    "log": (lambda x: x.log(), np.log, 0.5),
    "tanh": (lambda x: x.tanh(), np.tanh, None),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), None),
    "relu": (lambda x: x.relu(), lambda x: np.maximum(x, 0), None),
    "abs": (lambda x: x.abs(), np.abs, None),
    "sqrt": (lambda x: x.sqrt(), np.sqrt, 0.5),
    "clip": (lambda x: x.clip(-0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), None),
    "clip_min": (lambda x: x.clip(min=-0.5), lambda x: np.maximum(x, -0.5), None),
    "clip_max": (lambda x: x.clip(max=0.7), lambda x: np.minimum(x, 0.7), None),
}


def _away_from_kinks(x):
    """Keep samples off the points where relu, abs and clip have no derivative,
    so that central differences are meaningful."""
    with tr.no_grad():
        for kink in (0.0, -0.5, 0.7):
            x[abs(x - kink) < 1e-3] += 0.01
    return x


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4)], ids=str)
def test_unary_forward_matches_numpy(device, leaf, name, shape):
    op, reference, low = UNARY[name]
    x = leaf(*shape, low=low)
    out = op(x)
    assert out.shape == shape and out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), reference(x.numpy()), rtol=1e-12)


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", [(), (2, 3, 4)], ids=str)
def test_unary_gradients(device, leaf, name, shape):
    op, _, low = UNARY[name]
    x = _away_from_kinks(leaf(*shape, low=low))
    assert tr.gradcheck(op, [x])


def test_sigmoid_is_stable_for_large_magnitudes(device):
    x = tr.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=tr.float64, device=device, requires_grad=True)
    with np.errstate(over="raise"):
        y = x.sigmoid()
        y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [0.0, np.exp(-50.0) / (1 + np.exp(-50.0)), 0.5, 1.0, 1.0], rtol=1e-12)
    assert np.isfinite(x.grad.numpy()).all()


def test_relu_gradient_is_zero_at_and_below_zero(device):
    x = tr.tensor([-1.0, 0.0, 2.0], device=device, requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


def test_abs_gradient_is_zero_at_zero_as_pytorch(device):
    x = tr.tensor([-3.0, 0.0, 2.0], device=device, requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 0.0, 1.0])


def test_clip_passes_gradient_inside_the_range_only(device):
    x = tr.tensor([-2.0, -0.5, 0.0, 0.7, 2.0], device=device, requires_grad=True)
    x.clip(-0.5, 0.7).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])


def test_float32_in_float32_out(device):
    x = tr.tensor([0.5, 1.5], device=device)
    for name, (op, _, _) in UNARY.items():
        assert op(x).dtype == np.float32, name


def test_cast_changes_dtype_and_casts_the_gradient_back(device, leaf):
    x = tr.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    assert tr.gradcheck(lambda x: x.double() * 3, [leaf(3)])

"""softmax and log_softmax: any axis, stable for large inputs."""

import numpy as np
import pytest

import tinygrad_rnn as tr


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0, 1, 2])
def test_softmax_forward_matches_numpy_on_any_axis(device, leaf, axis):
    x = leaf(2, 3, 4)
    np.testing.assert_allclose(x.softmax(axis).numpy(), _softmax(x.numpy(), axis), rtol=1e-12)
    np.testing.assert_allclose(x.softmax(axis).numpy().sum(axis), 1.0, rtol=1e-12)


@pytest.mark.parametrize("axis", [-1, 0, 1, 2])
def test_log_softmax_forward_matches_numpy_on_any_axis(device, leaf, axis):
    x = leaf(2, 3, 4)
    np.testing.assert_allclose(x.log_softmax(axis).numpy(), np.log(_softmax(x.numpy(), axis)), rtol=1e-12)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_gradients(device, leaf, axis):
    assert tr.gradcheck(lambda x: x.softmax(axis), [leaf(2, 3, 4)])


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_log_softmax_gradients(device, leaf, axis):
    assert tr.gradcheck(lambda x: x.log_softmax(axis), [leaf(2, 3, 4)])


def test_softmax_and_log_softmax_stay_finite_for_huge_inputs(device):
    x = tr.tensor([[1000.0, 0.0, -1000.0]], dtype=tr.float64, device=device, requires_grad=True)
    with np.errstate(over="raise"):
        np.testing.assert_allclose(x.softmax(-1).numpy(), [[1.0, 0.0, 0.0]])
        y = x.log_softmax(-1)
        y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [[0.0, -1000.0, -2000.0]])
    assert np.isfinite(x.grad.numpy()).all()


def test_softmax_of_float32_stays_float32(device):
    x = tr.tensor([[1.0, 2.0]], device=device)
    assert x.softmax(-1).dtype == np.float32 and x.log_softmax(-1).dtype == np.float32


def test_softmax_axis_out_of_range_is_an_op_error(device):
    with pytest.raises(tr.OpError, match=r"softmax: dim 3 is out of range for a tensor of shape \(2, 3\)"):
        tr.ones(2, 3, device=device).softmax(3)

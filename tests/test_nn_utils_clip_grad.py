"""Gradient clipping: the same total norm and clipped gradients as PyTorch, non-finite norms."""

import math

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn


def grads_of(arrays, device="cpu", dtype=tr.float64):
    params = []
    for a in arrays:
        p = tr.tensor(np.zeros_like(a), dtype=dtype, device=device, requires_grad=True)
        p.grad = tr.tensor(a, dtype=dtype, device=device)
        params.append(p)
    return params


def arrays():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((3, 4)) * 2, rng.standard_normal(5)]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    ours = grads_of(arrays())
    theirs = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True) for a in arrays()]
    for t, a in zip(theirs, arrays()):
        t.grad = torch.tensor(a)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total.item() == pytest.approx(ttotal.item(), rel=1e-13)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-13)


def test_clip_grad_norm_in_float32_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = grads_of(arrays(), dtype=tr.float32)
    theirs = [torch.zeros(a.shape, requires_grad=True) for a in arrays()]
    for t, a in zip(theirs, arrays()):
        t.grad = torch.tensor(a, dtype=torch.float32)
    total = nn.utils.clip_grad_norm_(ours, 1.0)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert total.dtype == np.float32
    assert total.item() == pytest.approx(ttotal.item(), rel=1e-6)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_clip_grad_norm_returns_total_and_bounds_the_norm(device):
    params = grads_of(arrays(), device)
    expected = math.sqrt(sum((a ** 2).sum() for a in arrays()))
    total = nn.utils.clip_grad_norm_(params, 1.0)
    assert total.item() == pytest.approx(expected)
    after = math.sqrt(sum((p.grad.numpy() ** 2).sum() for p in params))
    assert after == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("norm_type", [2.0, 1.5, math.inf])
def test_clip_grad_norm_keeps_the_norms_on_the_gradients_device(norm_type, device):
    params = grads_of(arrays(), device, dtype=tr.float32)
    total = nn.utils.clip_grad_norm_(params, 0.5, norm_type=norm_type)
    assert isinstance(total, tr.Tensor) and total.shape == () and total.device == device
    assert total.dtype == np.float32
    expected = nn.utils.clip_grad_norm_(grads_of(arrays(), dtype=tr.float32), 0.5, norm_type=norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)
    assert all(p.grad.device == device and p.grad.dtype == np.float32 for p in params)


def test_clip_grad_norm_raises_on_nonfinite_norm_on_every_device_when_asked(device):
    params = grads_of([np.array([1.0, np.inf])], device)
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm of order 2.0 of the gradients is inf"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_refuses_gradients_on_cpu_and_cuda():
    if not tr.cuda_available():
        pytest.skip("cuda: needs a second device")
    params = grads_of(arrays()[:1]) + grads_of(arrays()[1:], "cuda")
    with pytest.raises(tr.DeviceError, match="clip_grad_norm_: the gradients are on cpu, cuda; clip the parameters "
                                             "of each device with their own call"):
        nn.utils.clip_grad_norm_(params, 1.0)


def test_clip_grad_value_stays_on_the_device(device):
    params = grads_of(arrays(), device)
    nn.utils.clip_grad_value_(params, 0.7)
    for p, a in zip(params, arrays()):
        assert p.grad.device == device
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(a, -0.7, 0.7))


def test_clip_grad_norm_skips_parameters_without_gradient_and_takes_a_single_tensor():
    p = grads_of([np.array([3.0, 4.0])])[0]
    idle = tr.ones(2, requires_grad=True)
    assert nn.utils.clip_grad_norm_([p, idle], 10.0).item() == pytest.approx(5.0)
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-6)


def test_clip_grad_norm_without_any_gradient_is_zero():
    assert nn.utils.clip_grad_norm_([tr.ones(2, requires_grad=True)], 1.0).item() == 0.0


def test_clip_grad_norm_raises_on_nonfinite_norm_when_asked():
    params = grads_of([np.array([1.0, np.inf])])
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm of order 2.0 of the gradients is inf"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_with_nan_and_no_error_returns_nan_like_pytorch():
    params = grads_of([np.array([1.0, np.nan])])
    assert math.isnan(nn.utils.clip_grad_norm_(params, 1.0).item())


def test_clip_grad_value_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = grads_of(arrays())
    theirs = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True) for a in arrays()]
    for t, a in zip(theirs, arrays()):
        t.grad = torch.tensor(a)
    nn.utils.clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())

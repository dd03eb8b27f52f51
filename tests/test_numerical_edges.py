"""Numerical edge cases of the engine: huge inputs, -inf masks, empty and size-1 axes."""

import numpy as np

import tinygrad_rnn as tr


def test_sigmoid_at_plus_minus_1e4_is_finite_with_finite_gradient(device):
    x = tr.tensor(np.array([-1e4, -50.0, 0.0, 50.0, 1e4]), requires_grad=True, device=device)
    y = x.sigmoid()
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [0.0, 1.9287498479639178e-22, 0.5, 1.0, 1.0], rtol=1e-12)
    assert np.isfinite(x.grad.numpy()).all()


def test_softmax_and_log_softmax_at_1e4_are_finite(device):
    x = tr.tensor(np.array([[1e4, -1e4, 0.0]]), requires_grad=True, device=device)
    np.testing.assert_allclose(x.softmax(-1).numpy(), [[1.0, 0.0, 0.0]])
    y = x.log_softmax(-1)
    np.testing.assert_allclose(y.numpy(), [[0.0, -2e4, -1e4]])
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_log_softmax_with_minus_inf_mask_gives_zero_probability_and_zero_gradient(device):
    x = tr.tensor(np.array([[1.0, -np.inf, 2.0]]), requires_grad=True, device=device)
    y = x.log_softmax(-1)
    assert y.numpy()[0, 1] == -np.inf
    np.testing.assert_allclose(np.exp(y.numpy()).sum(), 1.0)
    y[:, [0, 2]].sum().backward()
    assert x.grad.numpy()[0, 1] == 0.0
    assert np.isfinite(x.grad.numpy()).all()


def test_softmax_with_minus_inf_mask_gives_exact_zero_weight(device):
    x = tr.tensor(np.array([[0.5, -np.inf, -np.inf, 1.5]]), requires_grad=True, device=device)
    w = x.softmax(-1)
    assert (w.numpy()[0, 1:3] == 0.0).all()
    (w * tr.tensor(np.arange(4.0), device=device)).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_sum_over_an_empty_axis_is_zero_and_backward_works(device):
    x = tr.tensor(np.zeros((0, 3)), requires_grad=True, device=device)
    s = x.sum(axis=0)
    np.testing.assert_array_equal(s.numpy(), np.zeros(3))
    s.sum().backward()
    assert x.grad.shape == (0, 3)


def test_batch_of_one_matmul_backward_keeps_shapes(device):
    x = tr.tensor(np.ones((1, 4)), requires_grad=True, device=device)
    w = tr.tensor(np.ones((4, 1)), requires_grad=True, device=device)
    (x @ w).sum().backward()
    assert x.grad.shape == (1, 4) and w.grad.shape == (4, 1)

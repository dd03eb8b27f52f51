"""nn.init: each scheme's distribution, gains, in-place filling and errors."""

import math

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.nn import init


def weight(*shape):
    return nn.Parameter(np.zeros(shape, dtype=np.float32))


def test_init_fills_in_place_and_moves_the_version_counter():
    w = weight(3, 4)
    version = w._version
    assert init.ones_(w) is w
    assert (w.numpy() == 1).all() and w._version == version + 1 and w.dtype == np.float32


def test_zeros_and_constant():
    assert (init.zeros_(weight(2, 2)).numpy() == 0).all()
    assert (init.constant_(weight(2), 0.25).numpy() == 0.25).all()


def test_uniform_and_normal_have_the_requested_distribution():
    u = init.uniform_(weight(200, 200), -2.0, 3.0).numpy()
    assert u.min() >= -2 and u.max() <= 3 and abs(u.mean() - 0.5) < 0.05
    n = init.normal_(weight(200, 200), 1.0, 0.5).numpy()
    assert abs(n.mean() - 1.0) < 0.01 and abs(n.std() - 0.5) < 0.01


def test_xavier_uniform_bound_uses_fan_in_plus_fan_out():
    w = init.xavier_uniform_(weight(300, 100), gain=2.0).numpy()
    bound = 2.0 * math.sqrt(6 / 400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound


def test_xavier_normal_std():
    w = init.xavier_normal_(weight(300, 100)).numpy()
    assert abs(w.std() - math.sqrt(2 / 400)) < 0.002


def test_kaiming_uniform_with_sqrt5_is_pytorch_linear_default():
    w = init.kaiming_uniform_(weight(500, 64), a=math.sqrt(5)).numpy()
    assert np.abs(w).max() <= 1 / 8 and np.abs(w).max() > 0.99 / 8


def test_kaiming_normal_fan_out_relu():
    w = init.kaiming_normal_(weight(100, 400), mode="fan_out", nonlinearity="relu").numpy()
    assert abs(w.std() - math.sqrt(2) / 10) < 0.003


def test_fans_include_the_receptive_field():
    assert init.calculate_fan_in_and_fan_out(weight(4, 3, 5)) == (15, 20)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 2, 4)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    w = init.orthogonal_(weight(*shape), gain=1.5).numpy().astype(np.float64).reshape(shape[0], -1)
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(small, 1.5 ** 2 * np.eye(small.shape[0]), atol=1e-5)


def test_calculate_gain_matches_pytorch():
    torch = pytest.importorskip("torch")
    for name, param in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_unknown_nonlinearity_is_refused():
    with pytest.raises(tr.OpError, match="calculate_gain: unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fan_needs_two_axes():
    with pytest.raises(tr.OpError, match=r"at least 2 axes, got shape \(5,\)"):
        init.xavier_uniform_(weight(5))


def test_init_is_reproducible_with_manual_seed():
    tr.manual_seed(3)
    a = init.normal_(weight(4)).numpy()
    tr.manual_seed(3)
    np.testing.assert_array_equal(a, init.normal_(weight(4)).numpy())

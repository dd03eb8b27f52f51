"""Dropout on a device draws its mask there, from that device's generator (tr.manual_seed)."""

import numpy as np

import tinygrad_rnn as tr
from tinygrad_rnn import nn


def test_dropout_on_a_device_zeroes_about_p_and_scales_the_survivors(device):
    y = nn.Dropout(0.3)(tr.ones(200, 200, device=device))
    assert y.device == device and y.dtype == np.float32
    values = y.numpy()
    assert set(np.unique(values)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((values == 0).mean() - 0.3) < 0.01


def test_the_same_seed_draws_the_same_mask_on_a_device(device):
    x = tr.ones(50, device=device)
    tr.manual_seed(7)
    first = nn.functional.dropout(x, 0.5).numpy()
    tr.manual_seed(7)
    np.testing.assert_array_equal(nn.functional.dropout(x, 0.5).numpy(), first)


def test_dropout_on_a_device_backpropagates_through_its_mask(device):
    x = tr.tensor(np.ones(50), dtype=tr.float64, device=device, requires_grad=True)
    y = nn.functional.dropout(x, 0.5)
    y.sum().backward()
    assert y.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())

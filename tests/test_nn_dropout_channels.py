"""nn.Dropout1d / Dropout2d (F.dropout1d / dropout2d): whole channels dropped, survivors scaled by
1 / (1 - p), identity in eval mode, shapes and warnings as PyTorch's."""

import warnings

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.nn import functional as F


def channels_all_or_nothing(y, channel_axes):
    """Every channel (the leading `channel_axes` axes) is either all zeros or all 1 / (1 - p) = 2."""
    flat = y.numpy().reshape(int(np.prod(y.shape[:channel_axes])), -1)
    for row in flat:
        assert set(row.tolist()) in ({0.0}, {2.0})
    return flat[:, 0]


@pytest.mark.parametrize("shape,channel_axes", [((8, 6, 5), 2), ((12, 5), 1)], ids=["NCL", "CL"])
def test_dropout1d_drops_whole_channels(device, shape, channel_axes):
    y = nn.Dropout1d(0.5)(tr.ones(*shape, device=device))
    kept = channels_all_or_nothing(y, channel_axes)
    assert 0 < kept.sum() < 2 * len(kept)   # some dropped, some kept


def test_dropout2d_drops_whole_channels(device):
    y = nn.Dropout2d(0.5)(tr.ones(6, 8, 3, 4, device=device))
    kept = channels_all_or_nothing(y, 2)
    assert 0 < kept.sum() < 2 * len(kept)


def test_dropout2d_reads_a_3d_input_as_n_c_l_with_torch_warning():
    with pytest.warns(UserWarning, match=r"dropout2d: Received a 3D input to dropout2d and assuming that "
                                         r"channel-wise 1D dropout"):
        y = F.dropout2d(tr.ones(6, 8, 5), 0.5)
    channels_all_or_nothing(y, 2)


def test_channel_dropout_is_the_identity_in_eval():
    for layer, x in ((nn.Dropout1d(0.7), tr.randn(3, 4, 5)), (nn.Dropout2d(0.7), tr.randn(2, 3, 4, 5))):
        layer.eval()
        assert layer(x) is x


def test_channel_dropout_gradient_is_the_mask(device):
    x = tr.ones(4, 6, 3, device=device, requires_grad=True)
    y = F.dropout1d(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())


def test_channel_dropout_follows_the_seed():
    tr.manual_seed(3)
    a = F.dropout2d(tr.ones(4, 5, 2, 2), 0.5)
    tr.manual_seed(3)
    b = F.dropout2d(tr.ones(4, 5, 2, 2), 0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_channel_dropout_with_p_one_zeros_everything():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert F.dropout2d(tr.ones(2, 3, 2, 2), 1.0).numpy().sum() == 0.0


def test_dropout1d_wrong_rank_is_refused():
    with pytest.raises(tr.OpError, match=r"dropout1d: expected 2D \(C, L\) or 3D \(N, C, L\) input, but received a "
                                         r"4D input of shape \(3, 4, 5, 6\)"):
        nn.Dropout1d()(tr.ones(3, 4, 5, 6))


def test_dropout2d_needs_two_dimensions():
    with pytest.raises(tr.OpError, match=r"dropout2d: feature dropout requires at least 2 dimensions"):
        F.dropout2d(tr.ones(3))


def test_channel_dropout_bad_probability_is_refused():
    with pytest.raises(tr.OpError, match=r"Dropout2d: probability p must be in \[0, 1\], got 1.5"):
        nn.Dropout2d(1.5)
    with pytest.raises(tr.OpError, match=r"dropout1d: probability p must be in \[0, 1\], got -0.1"):
        F.dropout1d(tr.ones(2, 3), -0.1)


def test_dropout_accepts_torch_inplace_argument():
    assert nn.Dropout(0.2, inplace=True).inplace and nn.Dropout2d(0.2, inplace=True).p == 0.2

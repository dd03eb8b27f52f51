"""detect_anomaly(): the first NaN or inf is reported where it starts."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn

# NumPy warns about the very NaN/inf these tests provoke; the library's own error is what is checked
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_forward_nan_names_the_op_and_user_line(device):
    x = tr.tensor(np.array([-1.0, 2.0]), requires_grad=True, device=device)
    with tr.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"Log produced NaN in its forward output #0 \(shape \(2,\)\)"):
            x.log()


def test_forward_error_names_the_scope(device):
    x = tr.tensor(np.array([0.0]), requires_grad=True, device=device)
    with tr.detect_anomaly(), tr.scope("LSTM layer 0 forward"), tr.scope("t=3"):
        with pytest.raises(FloatingPointError, match=r"in scope LSTM layer 0 forward/t=3"):
            1.0 / x


def test_backward_inf_names_the_op_and_where_it_was_created(device):
    x = tr.tensor(np.array([0.0, 1.0]), requires_grad=True, device=device)
    with tr.detect_anomaly():
        y = x.sqrt()            # finite forward, infinite gradient at 0
        expected = r"Sqrt produced inf in its backward gradient.*test_anomaly.py:\d+"
        with pytest.raises(FloatingPointError, match=expected):
            y.sum().backward()


def test_without_anomaly_mode_nothing_is_checked(device):
    x = tr.tensor(np.array([-1.0]), requires_grad=True, device=device)
    with np.errstate(invalid="ignore"):
        y = x.log()
    assert np.isnan(y.numpy()).all()


def test_anomaly_mode_is_off_again_after_the_block():
    with tr.detect_anomaly():
        pass
    from tinygrad_rnn.autograd import _state
    assert _state.anomaly is False


def overflowing_rnn(impl):
    """A relu RNN whose state grows by 1e12 per step in float32: inf first at step t=3."""
    rnn = nn.RNN(2, 3, nonlinearity="relu", impl=impl)
    for p in rnn.parameters():
        p.data = np.full(p.shape, 1e12, dtype=np.float32)
    return rnn


@pytest.mark.parametrize("impl", ["fused", "composite"])
def test_a_recurrent_layer_names_the_step_whose_forward_first_goes_non_finite(impl):
    with tr.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"produced inf in its forward output.*\(shape \(1, 3\)\) "
                                                     r"in scope RNN layer 0 forward/t=3"):
            overflowing_rnn(impl)(tr.ones(6, 1, 2))


def test_the_fused_forward_error_names_the_op_and_the_state():
    with tr.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"RNNBPTT produced inf in its forward output h_t at step t=3"):
            overflowing_rnn("fused")(tr.ones(6, 1, 2))


def gradient_overflowing_lstm(impl, reverse=False):
    """An LSTM whose states stay 0 (no input weights, no biases) but whose W_hh is 1e308:
    the gradient of step 5's output overflows in dh_4 = da_5 W_hh, at step 5."""
    lstm = nn.LSTM(2, 2, impl=impl, bidirectional=reverse).double()
    for name, p in lstm.named_parameters():
        p.data = np.full(p.shape, 1e308 if name.startswith("weight_hh") else 0.0)
    return lstm


@pytest.mark.parametrize("impl", ["fused", "composite"])
def test_a_recurrent_layer_names_the_step_whose_backward_first_goes_non_finite(impl):
    with tr.detect_anomaly():
        out, _ = gradient_overflowing_lstm(impl)(tr.randn(8, 1, 2, dtype=tr.float64))
        loss = (out[5] * 10).sum()
        with pytest.raises(FloatingPointError, match=r"produced inf in its backward gradient.* in scope "
                                                     r"LSTM layer 0 forward/t=5; the op was created at "
                                                     r".*test_anomaly.py:\d+"):
            loss.backward()


def test_the_fused_backward_error_names_the_gradient_and_the_reverse_direction_step():
    with tr.detect_anomaly():
        out, _ = gradient_overflowing_lstm("fused", reverse=True)(tr.randn(8, 1, 2, dtype=tr.float64))
        loss = (out[2, :, 2:] * 10).sum()    # the reverse direction's h_2: it overflows in dh_3 = da_2 W_hh
        with pytest.raises(FloatingPointError, match=r"LSTMBPTT produced inf in its backward gradient "
                                                     r"dL/dh_\{t-1\} at step t=2 .*LSTM layer 0 reverse/t=2"):
            loss.backward()

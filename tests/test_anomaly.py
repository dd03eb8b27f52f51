"""detect_anomaly(): the first NaN or inf is reported where it starts."""

import numpy as np
import pytest

import tinygrad_rnn as tr

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

"""Output-recurrent (Jordan) network: only the previous output carries the past."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.autograd import topological_order


def jordan_reference(net, x, y0):
    """h_t = tanh(W_ih x_t + b_ih + W_yh y_{t-1} + b_yh), y_t = W_hy h_t + b_hy, in NumPy."""
    p = {name: t.numpy() for name, t in net.named_parameters()}
    y, outs = y0, []
    for x_t in x:
        h = np.tanh(x_t @ p["weight_ih"].T + p["bias_ih"] + y @ p["weight_yh"].T + p["bias_yh"])
        y = h @ p["weight_hy"].T + p["bias_hy"]
        outs.append(y)
    return np.stack(outs)


def make_net(**kw):
    return nn.JordanRNN(3, 5, 2, **kw).double()


def test_parameters_are_named_and_shaped():
    shapes = {name: tuple(p.shape) for name, p in make_net().named_parameters()}
    assert shapes == {"weight_ih": (5, 3), "weight_yh": (5, 2), "weight_hy": (2, 5),
                      "bias_ih": (5,), "bias_yh": (5,), "bias_hy": (2,)}


def test_matches_the_equations(device):
    net = make_net().to(device)
    x = tr.randn(6, 2, 3, dtype=tr.float64, device=device)
    y0 = tr.randn(1, 2, 2, dtype=tr.float64, device=device)
    output, y_n = net(x, y0)
    want = jordan_reference(net, x.numpy(), y0.numpy()[0])
    np.testing.assert_allclose(output.numpy(), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y_n.numpy()[0], want[-1], rtol=1e-12, atol=1e-12)


def test_zero_output_feedback_makes_the_steps_independent():
    net = make_net()
    net.weight_yh.data = np.zeros((5, 2))
    x = tr.randn(4, 2, 3, dtype=tr.float64)
    moved = x.numpy().copy()
    moved[1] += 1.0
    before, _ = net(x)
    after, _ = net(tr.tensor(moved))
    changed = np.abs(after.numpy() - before.numpy()).max(axis=(1, 2))
    assert changed[1] > 1e-3
    assert changed[0] == 0 and changed[2] == 0 and changed[3] == 0


def test_the_previous_output_feeds_the_next_step():
    net = make_net()
    x = tr.randn(4, 2, 3, dtype=tr.float64, requires_grad=True)
    output, _ = net(x)
    output[2].sum().backward()
    assert np.abs(x.grad.numpy()[1]).max() > 1e-6   # y_2 depends on x_1 through y_1
    assert np.all(x.grad.numpy()[3] == 0)           # and not on the future


def test_the_previous_output_is_the_whole_state():
    # Restarting at step t from y_{t-1} alone reproduces the rest of the sequence.
    net = make_net()
    x = tr.randn(6, 2, 3, dtype=tr.float64)
    output, y_n = net(x)
    rest, rest_y_n = net(x[3:], y0=output[2:3])
    np.testing.assert_allclose(rest.numpy(), output.numpy()[3:], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rest_y_n.numpy(), y_n.numpy(), rtol=1e-12, atol=1e-12)


def test_gradcheck_float64_with_y0_and_lengths():
    net = nn.JordanRNN(2, 3, 2).double()
    x = tr.randn(4, 3, 2, dtype=tr.float64, requires_grad=True)
    y0 = tr.randn(1, 3, 2, dtype=tr.float64, requires_grad=True)
    assert tr.gradcheck(lambda x, y0, *_: net(x, y0, lengths=[2, 4, 1]), [x, y0, *net.parameters()])


def test_gradcheck_float64_without_bias_batch_first():
    net = nn.JordanRNN(2, 3, 2, bias=False, batch_first=True).double()
    x = tr.randn(2, 4, 2, dtype=tr.float64, requires_grad=True)
    assert tr.gradcheck(lambda x, *_: net(x), [x, *net.parameters()])


def test_padded_steps_keep_the_output_state_and_give_zeros():
    net = make_net(batch_first=True)
    x = tr.randn(2, 5, 3, dtype=tr.float64)
    output, y_n = net(x, lengths=[5, 2])
    alone, alone_y_n = net(x[1:, :2])
    assert np.all(output.numpy()[1, 2:] == 0)
    np.testing.assert_allclose(output.numpy()[1:, :2], alone.numpy(), rtol=1e-12)
    np.testing.assert_allclose(y_n.numpy()[0, 1], alone_y_n.numpy()[0, 0], rtol=1e-12)


def test_every_step_is_recorded_under_layer_and_time_scopes():
    output, _ = make_net()(tr.randn(3, 1, 3, dtype=tr.float64, requires_grad=True))
    scopes = {fn.scope for fn in topological_order(output._ctx) if fn.scope}
    assert {("JordanRNN layer 0 forward", f"t={t}") for t in range(3)} <= scopes


def test_wrong_y0_shape_is_named():
    with pytest.raises(tr.OpError, match=r"JordanRNN: expected y0 of shape \(1, 2, 2\), got \(2, 2\)"):
        make_net()(tr.randn(4, 2, 3, dtype=tr.float64), y0=tr.zeros(2, 2, dtype=tr.float64))


def test_wrong_input_size_is_named():
    with pytest.raises(tr.OpError, match=r"JordanRNN: expected input .* input_size=3, got \(4, 2\)"):
        make_net()(tr.randn(4, 2))


def test_input_dtype_must_match_the_parameters():
    with pytest.raises(tr.OpError, match=r"JordanRNN: input dtype float32 does not match the parameters' "
                                         r"dtype float64"):
        make_net()(tr.randn(4, 2, 3))


def test_the_initial_output_must_have_the_input_dtype():
    with pytest.raises(tr.OpError, match=r"JordanRNN: y0 has dtype float64 but the input has dtype float32"):
        nn.JordanRNN(3, 4, 2)(tr.randn(5, 2, 3), tr.zeros(1, 2, 2, dtype=tr.float64))


def test_the_initial_output_must_be_a_tensor():
    with pytest.raises(tr.OpError, match=r"JordanRNN: y0 must be a Tensor, got list"):
        nn.JordanRNN(3, 4, 2)(tr.randn(5, 2, 3), [[0.0, 0.0]])

"""Clockwork RNN: modules tick at their own periods and read only slower-or-equal ones."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.autograd import topological_order
from tinygrad_rnn.nn.clockwork import connectivity_mask


def clockwork_reference(net, x, h, start=0):
    """The paper's update in NumPy: active modules step a tanh RNN with the masked W_hh."""
    p = {name: t.numpy() for name, t in net.named_parameters()}
    period = np.repeat(net.periods, net.module_size)
    w_hh = p["weight_hh"] * (period[None, :] >= period[:, None])
    outs = []
    for t, x_t in enumerate(x, start):
        new = np.tanh(x_t @ p["weight_ih"].T + p["bias_ih"] + h @ w_hh.T + p["bias_hh"])
        h = np.where(t % period == 0, new, h)
        outs.append(h)
    return np.stack(outs)


def make_net(**kw):
    return nn.ClockworkRNN(2, 6, periods=(1, 2, 4), **kw).double()


def test_default_periods_double():
    assert nn.ClockworkRNN(1, 8, num_modules=4).periods == (1, 2, 4, 8)


def test_mask_is_block_upper_triangular_with_fast_modules_first():
    ones, zeros = np.ones((2, 2)), np.zeros((2, 2))
    want = np.block([[ones, ones, ones], [zeros, ones, ones], [zeros, zeros, ones]])
    np.testing.assert_array_equal(connectivity_mask(6, (1, 2, 4)), want)


def test_matches_the_equations(device):
    net = make_net().to(device)
    x = tr.randn(9, 3, 2, dtype=tr.float64, device=device)
    h0 = tr.randn(1, 3, 6, dtype=tr.float64, device=device)
    output, h_n = net(x, h0)
    want = clockwork_reference(net, x.numpy(), h0.numpy()[0])
    np.testing.assert_allclose(output.numpy(), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n.numpy()[0], want[-1], rtol=1e-12, atol=1e-12)


def test_a_module_is_constant_between_its_updates():
    net = make_net()
    output = net(tr.randn(12, 2, 2, dtype=tr.float64))[0].numpy()
    for module, period in enumerate(net.periods):
        units = output[:, :, 2 * module:2 * module + 2]
        for t in range(1, 12):
            if t % period:
                np.testing.assert_array_equal(units[t], units[t - 1])
            else:
                assert np.abs(units[t] - units[t - 1]).max() > 0


def test_zeroing_a_fast_module_does_not_touch_the_slower_ones():
    net = make_net()
    x = tr.randn(5, 2, 2, dtype=tr.float64)
    _, h = net(x[:4])
    h_fast_zeroed = h.numpy().copy()
    h_fast_zeroed[..., :2] = 0                     # module 0 (period 1)
    step = x[4:]                                   # step 4: every module updates
    after, _ = net(step, h, start_step=4)
    after_zeroed, _ = net(step, tr.tensor(h_fast_zeroed), start_step=4)
    np.testing.assert_array_equal(after.numpy()[..., 2:], after_zeroed.numpy()[..., 2:])
    assert np.abs(after.numpy()[..., :2] - after_zeroed.numpy()[..., :2]).max() > 1e-6


def test_a_fast_module_reads_the_slower_ones():
    net = make_net()
    x = tr.randn(1, 2, 2, dtype=tr.float64)
    h = tr.randn(1, 2, 6, dtype=tr.float64)
    h_slow_zeroed = h.numpy().copy()
    h_slow_zeroed[..., 4:] = 0                     # module 2 (period 4)
    after, _ = net(x, h)
    after_zeroed, _ = net(x, tr.tensor(h_slow_zeroed))
    assert np.abs(after.numpy()[..., :4] - after_zeroed.numpy()[..., :4]).min() > 0


def test_masked_out_recurrent_weights_get_no_gradient():
    net = make_net()
    output, _ = net(tr.randn(8, 2, 2, dtype=tr.float64))
    output.sum().backward()
    grad = net.weight_hh.grad.numpy()
    mask = connectivity_mask(6, (1, 2, 4))
    assert np.all(grad[mask == 0] == 0)
    assert np.all(grad[mask == 1] != 0)


def test_start_step_continues_the_clock():
    net = nn.ClockworkRNN(2, 6, periods=(1, 3, 5)).double()
    x = tr.randn(11, 2, 2, dtype=tr.float64)
    whole, h_whole = net(x)
    first, h = net(x[:7])
    second, h_second = net(x[7:], h, start_step=7)
    np.testing.assert_allclose(np.concatenate([first.numpy(), second.numpy()]), whole.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_second.numpy(), h_whole.numpy(), rtol=1e-12)


def test_gradcheck_float64_with_hx_and_lengths():
    net = nn.ClockworkRNN(2, 4, periods=(1, 2)).double()
    x = tr.randn(5, 3, 2, dtype=tr.float64, requires_grad=True)
    h0 = tr.randn(1, 3, 4, dtype=tr.float64, requires_grad=True)
    assert tr.gradcheck(lambda x, h0, *_: net(x, h0, lengths=[5, 2, 4]), [x, h0, *net.parameters()])


def test_gradcheck_float64_batch_first_without_bias():
    net = nn.ClockworkRNN(2, 4, periods=(1, 3), bias=False, batch_first=True).double()
    x = tr.randn(2, 5, 2, dtype=tr.float64, requires_grad=True)
    assert tr.gradcheck(lambda x, *_: net(x), [x, *net.parameters()])


def test_padded_steps_keep_the_state_and_give_zeros():
    net = make_net()
    x = tr.randn(6, 2, 2, dtype=tr.float64)
    output, h_n = net(x, lengths=[3, 6])
    alone, h_alone = net(x[:3, :1])
    assert np.all(output.numpy()[3:, 0] == 0)
    np.testing.assert_allclose(output.numpy()[:3, :1], alone.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_n.numpy()[0, 0], h_alone.numpy()[0, 0], rtol=1e-12)


def test_every_step_is_recorded_under_layer_and_time_scopes():
    output, _ = make_net()(tr.randn(3, 1, 2, dtype=tr.float64))
    scopes = {fn.scope for fn in topological_order(output._ctx) if fn.scope}
    assert {("ClockworkRNN layer 0 forward", f"t={t}") for t in range(3)} <= scopes


def test_hidden_size_must_split_into_modules():
    with pytest.raises(tr.OpError, match=r"ClockworkRNN: hidden_size=7 must be a multiple of the number of "
                                         r"modules \(3, periods \(1, 2, 4\)\)"):
        nn.ClockworkRNN(2, 7, num_modules=3)


def test_periods_must_increase():
    with pytest.raises(tr.OpError, match=r"ClockworkRNN: periods must be positive integers in increasing order, "
                                         r"got \(2, 1\)"):
        nn.ClockworkRNN(2, 4, periods=(2, 1))


def test_input_dtype_must_match_the_parameters():
    with pytest.raises(tr.OpError, match=r"ClockworkRNN: input dtype float32 does not match the parameters' "
                                         r"dtype float64"):
        make_net()(tr.randn(4, 2, 2))


def test_the_initial_state_must_have_the_input_dtype():
    with pytest.raises(tr.OpError, match=r"ClockworkRNN: hx has dtype float64 but the input has dtype float32"):
        nn.ClockworkRNN(3, 4, num_modules=2)(tr.randn(5, 2, 3), tr.zeros(1, 2, 4, dtype=tr.float64))

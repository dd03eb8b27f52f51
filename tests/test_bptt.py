"""BPTT helpers: truncated BPTT, per-step gradient norms, and very long sequences."""

import tracemalloc

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.autograd import topological_order


def squared_error(targets):
    """loss_fn for truncated_bptt: sum of squared errors against the chunk's targets."""
    def loss_fn(output, steps):
        return ((output - targets[steps]) ** 2).sum()
    return loss_fn


def grads(module, *tensors):
    return [p.grad.numpy().copy() for p in module.parameters()] + [t.grad.numpy().copy() for t in tensors]


def lstm_problem(steps=10, batch=2):
    lstm = nn.LSTM(2, 3).double()
    x = tr.randn(steps, batch, 2, dtype=tr.float64, requires_grad=True)
    targets = tr.randn(steps, batch, 3, dtype=tr.float64)
    return lstm, x, targets


@pytest.mark.parametrize("k", [10, 25])
def test_one_chunk_covering_the_sequence_gives_the_full_bptt_gradient(k):
    lstm, x, targets = lstm_problem(steps=10)
    output, _ = lstm(x)
    squared_error(targets)(output, slice(0, 10)).backward()
    full = grads(lstm, x)
    lstm.zero_grad()
    x.grad = None
    losses, _ = nn.truncated_bptt(lstm, x, k, squared_error(targets))
    assert len(losses) == 1
    for got, want in zip(grads(lstm, x), full):
        np.testing.assert_array_equal(got, want)


def test_chunks_carry_the_state_forward_detached():
    lstm, x, targets = lstm_problem(steps=10)
    losses, state = nn.truncated_bptt(lstm, x, 4, squared_error(targets))
    got = grads(lstm, x)

    lstm.zero_grad()
    x.grad, hx, want_losses = None, None, []
    for t0 in (0, 4, 8):
        output, hx = lstm(x[t0:t0 + 4], hx)
        loss = squared_error(targets)(output, slice(t0, t0 + 4))
        loss.backward()
        want_losses.append(loss.item())
        hx = tuple(s.detach() for s in hx)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-13)
    for g, w in zip(got, grads(lstm, x)):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    assert not state[0].requires_grad and not state[1].requires_grad
    np.testing.assert_allclose(state[0].numpy(), hx[0].numpy(), rtol=1e-13)


def test_no_gradient_crosses_a_chunk_border():
    lstm, x, targets = lstm_problem(steps=8)

    def last_chunk_only(output, steps):
        return ((output - targets[steps]) ** 2).sum() * (1.0 if steps.start == 4 else 0.0)
    nn.truncated_bptt(lstm, x, 4, last_chunk_only)
    assert np.all(x.grad.numpy()[:4] == 0)
    assert np.abs(x.grad.numpy()[4:]).min() > 0


def test_batch_first_cuts_the_second_axis():
    lstm = nn.LSTM(2, 3, batch_first=True).double()
    x = tr.randn(2, 6, 2, dtype=tr.float64)
    targets = tr.randn(2, 6, 3, dtype=tr.float64)
    seen = []

    def loss_fn(output, steps):
        seen.append((steps.start, steps.stop, tuple(output.shape)))
        return ((output - targets[:, steps]) ** 2).sum()
    nn.truncated_bptt(lstm, x, 4, loss_fn, batch_first=True)
    assert seen == [(0, 4, (2, 4, 3)), (4, 6, (2, 2, 3))]


def test_an_optimizer_steps_after_every_chunk():
    lstm, x, targets = lstm_problem(steps=9)
    start = {n: p.numpy().copy() for n, p in lstm.named_parameters()}
    nn.truncated_bptt(lstm, x, 3, squared_error(targets), optimizer=tr.optim.SGD(lstm.parameters(), lr=0.1))
    got = {n: p.numpy().copy() for n, p in lstm.named_parameters()}

    lstm.load_state_dict(start)
    sgd, hx = tr.optim.SGD(lstm.parameters(), lr=0.1), None
    for t0 in (0, 3, 6):
        sgd.zero_grad()
        output, hx = lstm(x[t0:t0 + 3], hx)
        squared_error(targets)(output, slice(t0, t0 + 3)).backward()
        sgd.step()
        hx = tuple(s.detach() for s in hx)
    for name, p in lstm.named_parameters():
        np.testing.assert_allclose(got[name], p.numpy(), rtol=1e-12, err_msg=name)
        assert np.abs(got[name] - start[name]).max() > 0


def test_memory_stays_flat_across_chunks():
    lstm = nn.LSTM(4, 16)
    x = tr.randn(400, 4, 4)
    targets = tr.randn(400, 4, 16)
    peaks = []

    def loss_fn(output, steps):
        peaks.append(tracemalloc.get_traced_memory()[1])   # peak since the previous chunk's loss
        tracemalloc.reset_peak()
        return ((output - targets[steps]) ** 2).mean()
    tracemalloc.start()
    try:
        nn.truncated_bptt(lstm, x, 25, loss_fn)
        tracemalloc.reset_peak()
        output, _ = lstm(x)
        full_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    later = peaks[2:]
    assert max(later) < 1.5 * min(later), peaks
    assert full_peak > 5 * max(later), (full_peak, peaks)


def test_k_must_be_a_positive_integer():
    lstm, x, targets = lstm_problem()
    with pytest.raises(tr.OpError, match=r"truncated_bptt: the chunk length k must be a positive integer, got 0"):
        nn.truncated_bptt(lstm, x, 0, squared_error(targets))


def test_loss_must_be_a_scalar():
    lstm, x, _ = lstm_problem()
    with pytest.raises(tr.OpError, match=r"truncated_bptt: loss_fn must return a scalar Tensor, got shape \(4, 2, 3\)"):
        nn.truncated_bptt(lstm, x, 4, lambda output, steps: output)


def tanh_rnn_norms(steps=12, scale=0.3):
    cell = nn.RNNCell(3, 4).double()
    cell.weight_hh.data = cell.weight_hh.data * scale
    hidden, _ = nn.unroll(cell, tr.randn(steps, 2, 3, dtype=tr.float64))
    return cell, hidden, nn.step_gradient_norms(hidden[-1].sum(), hidden)


def test_tanh_rnn_gradient_vanishes_going_back_in_time():
    _, _, norms = tanh_rnn_norms()
    assert all(earlier < later for earlier, later in zip(norms, norms[1:])), norms
    assert norms[0] < 1e-3 * norms[-1]


def test_step_gradient_norms_follow_the_chain_rule():
    # dL/dh_t = (dL/dh_{t+1} * (1 - h_{t+1}^2)) W_hh for h_{t+1} = tanh(x W_ih^T + h_t W_hh^T + b)
    cell, hidden, norms = tanh_rnn_norms(steps=6, scale=1.0)
    g, w_hh, want = np.ones((2, 4)), cell.weight_hh.numpy(), []
    for t in range(5, -1, -1):
        want.append(np.linalg.norm(g))
        g = (g * (1 - hidden[t].numpy() ** 2)) @ w_hh
    np.testing.assert_allclose(norms, want[::-1], rtol=1e-12)


@pytest.mark.parametrize("impl", ["fused", "composite"])
@pytest.mark.parametrize("layer, cell", [(nn.RNN, nn.RNNCell), (nn.LSTM, nn.LSTMCell), (nn.GRU, nn.GRUCell)])
def test_step_gradient_norms_of_a_layer_output_equal_those_of_its_unrolled_cell(layer, cell, impl):
    model = layer(3, 4, impl=impl).double()
    unit = cell(3, 4, impl="composite").double()
    unit.load_state_dict({name[:-3]: p for name, p in model.state_dict().items()})
    x = tr.randn(8, 2, 3, dtype=tr.float64)
    out, _ = model(x)
    hidden, _ = nn.unroll(unit, x)
    got = nn.step_gradient_norms((out[-1] ** 2).sum() + out[2].sum(), out)
    want = nn.step_gradient_norms((hidden[-1] ** 2).sum() + hidden[2].sum(), hidden)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert min(got) > 0


def test_step_gradient_norms_of_padded_bidirectional_stacked_layers_agree_on_both_paths():
    norms = {}
    for path in ("fused", "composite"):
        tr.manual_seed(0)
        model = nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True, impl=path).double()
        x = tr.randn(3, 7, 3, dtype=tr.float64)
        out, _ = model(x, lengths=[7, 2, 5])
        norms[path] = nn.step_gradient_norms((out * out).sum(), out)
    np.testing.assert_allclose(norms["fused"], norms["composite"], rtol=1e-12)
    assert len(norms["fused"]) == 7 and min(norms["fused"]) > 0


def test_step_gradient_norms_refuse_slices_of_a_stacked_output():
    out, _ = nn.RNN(3, 4)(tr.randn(5, 2, 3))
    with pytest.raises(tr.OpError, match=r"none of the 5 hidden states is on the path from the loss.*"
                                         r"step_gradient_norms\(loss, out\)"):
        nn.step_gradient_norms(out.sum(), list(out))


def test_step_gradient_norms_refuse_a_tensor_no_recurrent_layer_made():
    w = tr.randn(3, 3, requires_grad=True)
    y = tr.randn(5, 3) @ w
    with pytest.raises(tr.OpError, match=r"was not made by a recurrent layer's steps; pass the output of nn.RNN"):
        nn.step_gradient_norms(y.sum(), y)


def test_step_gradient_norms_refuse_an_output_the_loss_does_not_read():
    rnn = nn.LSTM(3, 4)
    out, _ = rnn(tr.randn(5, 2, 3))
    other, _ = rnn(tr.randn(5, 2, 3))
    with pytest.raises(tr.OpError, match=r"no gradient of the loss reached the layer that made this output"):
        nn.step_gradient_norms(other.sum(), out)


def test_a_default_lstm_gradient_also_vanishes_and_an_open_forget_gate_keeps_it():
    # c_t = f * c_{t-1} + ...: with the default init f starts near sigmoid(0) = 1/2 per step;
    # a forget-gate bias of 2 (f near 0.88) lets far more of the gradient reach step 0
    ratios = {}
    for bias in (0.0, 2.0):
        tr.manual_seed(0)
        lstm = nn.LSTM(3, 16).double()
        forget = np.zeros(64)
        forget[16:32] = bias                        # rows 16..31 are the forget gate (order i, f, g, o)
        lstm.bias_ih_l0.data = lstm.bias_ih_l0.numpy() + forget
        out, _ = lstm(tr.randn(30, 4, 3, dtype=tr.float64))
        norms = nn.step_gradient_norms(out[-1].sum(), out)
        ratios[bias] = norms[0] / norms[-1]
    assert ratios[0.0] < 1e-5                       # vanished over 30 steps, as a tanh RNN's does
    assert ratios[2.0] > 100 * ratios[0.0]


def test_an_lstm_keeps_more_of_the_gradient_than_a_tanh_rnn():
    x = tr.randn(30, 2, 3, dtype=tr.float64)
    rnn = nn.RNNCell(3, 4).double()
    lstm = nn.LSTMCell(3, 4).double()
    lstm.bias_ih.data = lstm.bias_ih.data + np.repeat([0.0, 3.0, 0.0, 0.0], 4)   # forget gate near 1
    ratios = []
    for cell in (rnn, lstm):
        hidden, _ = nn.unroll(cell, x)
        norms = nn.step_gradient_norms(hidden[-1].sum(), hidden)
        ratios.append(norms[0] / norms[-1])
    assert ratios[1] > 100 * ratios[0], ratios


def test_unroll_records_every_step_under_layer_and_time_scopes():
    hidden, (h, c) = nn.unroll(nn.LSTMCell(2, 3), tr.randn(3, 1, 2))
    scopes = {fn.scope for fn in topological_order(h._ctx) if fn.scope}
    assert {("LSTMCell layer 0 forward", f"t={t}") for t in range(3)} <= scopes
    assert hidden[-1] is h


def test_step_gradient_norms_need_tensors_in_the_graph():
    with pytest.raises(tr.OpError, match=r"step_gradient_norms: hidden state #0 is not part of the graph"):
        nn.step_gradient_norms(tr.ones(1, requires_grad=True).sum(), [tr.zeros(2)])


def test_an_lstm_over_20000_steps_backpropagates():
    lstm = nn.LSTM(1, 2)
    output, (h_n, c_n) = lstm(tr.randn(20000, 1, 1))
    (output.sum() + c_n.sum()).backward()    # would raise RecursionError on a recursive backward
    for p in lstm.parameters():
        assert np.isfinite(p.grad.numpy()).all() and np.abs(p.grad.numpy()).max() > 0


def test_graph_memory_grows_linearly_with_the_number_of_steps():
    lstm = nn.LSTM(2, 8)

    def peak(steps):
        x = tr.randn(steps, 4, 2)
        tracemalloc.start()
        try:
            output, _ = lstm(x)
            output.sum().backward()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    p1, p2, p4 = peak(500), peak(1000), peak(2000)
    ratio = (p4 - p2) / (p2 - p1)      # 2 for memory linear in T
    assert 1.6 < ratio < 2.4, (p1, p2, p4)

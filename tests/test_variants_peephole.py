"""Peephole LSTM: its equations, its gradients, and what the peepholes add to a plain LSTM."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.autograd import topological_order


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def plain_lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """PyTorch's LSTMCell, gate order i, f, g, o."""
    i, f, g, o = np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def peephole_step(x, h, c, w_ih, w_hh, b_ih, b_hh, w_ci, w_cf, w_co):
    """Gers & Schmidhuber: i and f see c_{t-1}, o sees c_t."""
    a_i, a_f, a_g, a_o = np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)
    c_new = sigmoid(a_f + w_cf * c) * c + sigmoid(a_i + w_ci * c) * np.tanh(a_g)
    return sigmoid(a_o + w_co * c_new) * np.tanh(c_new), c_new


def cell_arrays(cell):
    params = [getattr(cell, n) for n in
              ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ci", "weight_cf", "weight_co")]
    return [None if p is None else p.numpy() for p in params]


def random_state(batch, hidden, device="cpu"):
    return (tr.randn(batch, hidden, dtype=tr.float64, device=device, requires_grad=True),
            tr.randn(batch, hidden, dtype=tr.float64, device=device, requires_grad=True))


def test_cell_has_lstm_parameters_plus_three_peephole_vectors():
    cell = nn.PeepholeLSTMCell(3, 5)
    shapes = {name: tuple(p.shape) for name, p in cell.named_parameters()}
    assert shapes == {"weight_ih": (20, 3), "weight_hh": (20, 5), "bias_ih": (20,), "bias_hh": (20,),
                      "weight_ci": (5,), "weight_cf": (5,), "weight_co": (5,)}


def test_cell_matches_the_peephole_equations(device):
    cell = nn.PeepholeLSTMCell(3, 4).double().to(device)
    x = tr.randn(2, 3, dtype=tr.float64, device=device)
    h, c = random_state(2, 4, device)
    h_new, c_new = cell(x, (h, c))
    want_h, want_c = peephole_step(x.numpy(), h.numpy(), c.numpy(), *cell_arrays(cell))
    np.testing.assert_allclose(h_new.numpy(), want_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_new.numpy(), want_c, rtol=1e-12, atol=1e-12)


def test_zero_peepholes_give_a_plain_lstm():
    cell = nn.PeepholeLSTMCell(3, 4).double()
    for name in ("weight_ci", "weight_cf", "weight_co"):
        getattr(cell, name).data = np.zeros(4)
    x = tr.randn(2, 3, dtype=tr.float64)
    h, c = random_state(2, 4)
    h_new, c_new = cell(x, (h, c))
    want_h, want_c = plain_lstm_step(x.numpy(), h.numpy(), c.numpy(), *cell_arrays(cell)[:4])
    np.testing.assert_allclose(h_new.numpy(), want_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_new.numpy(), want_c, rtol=1e-12, atol=1e-12)


def test_input_and_forget_gates_see_the_previous_cell_and_the_output_gate_the_new_one():
    # With c_{t-1} = 0 the i and f peepholes multiply zero, so they cannot matter;
    # the o peephole multiplies c_t = i * g, which is not zero.
    cell = nn.PeepholeLSTMCell(3, 4).double()
    x = tr.randn(2, 3, dtype=tr.float64)
    h = tr.randn(2, 4, dtype=tr.float64)
    h_new, _ = cell(x, (h, tr.zeros(2, 4, dtype=tr.float64)))
    h_new.sum().backward()
    assert np.all(cell.weight_ci.grad.numpy() == 0) and np.all(cell.weight_cf.grad.numpy() == 0)
    assert np.all(cell.weight_co.grad.numpy() != 0)

    cell.zero_grad()
    h_new, _ = cell(x, (h, tr.randn(2, 4, dtype=tr.float64)))
    h_new.sum().backward()
    for name in ("weight_ci", "weight_cf", "weight_co"):
        assert np.all(getattr(cell, name).grad.numpy() != 0), name


def test_gates_respond_to_the_cell_state():
    # Same x and h, different c_{t-1}: the gate pre-activations differ only by w * c,
    # so with peepholes the output changes beyond what the plain LSTM would give.
    cell = nn.PeepholeLSTMCell(3, 4).double()
    x, h = tr.randn(1, 3, dtype=tr.float64), tr.randn(1, 4, dtype=tr.float64)
    c = tr.randn(1, 4, dtype=tr.float64)
    with_peepholes, _ = cell(x, (h, c))
    plain, _ = plain_lstm_step(x.numpy(), h.numpy(), c.numpy(), *cell_arrays(cell)[:4])
    assert np.abs(with_peepholes.numpy() - plain).min() > 1e-6


def test_cell_gradcheck_float64(device):
    cell = nn.PeepholeLSTMCell(3, 2).double().to(device)
    x = tr.randn(2, 3, dtype=tr.float64, device=device, requires_grad=True)
    h, c = random_state(2, 2, device)
    params = list(cell.parameters())
    assert tr.gradcheck(lambda x, h, c, *_: tr.concat(cell(x, (h, c)), axis=1), [x, h, c, *params])


def test_layer_gradcheck_float64_two_layers_with_lengths_and_hx():
    lstm = nn.PeepholeLSTM(2, 2, num_layers=2).double()
    x = tr.randn(4, 3, 2, dtype=tr.float64, requires_grad=True)
    h0 = tr.randn(2, 3, 2, dtype=tr.float64, requires_grad=True)
    c0 = tr.randn(2, 3, 2, dtype=tr.float64, requires_grad=True)
    params = list(lstm.parameters())

    def run(x, h0, c0, *_):
        output, (h_n, c_n) = lstm(x, (h0, c0), lengths=[4, 1, 3])
        return output, h_n, c_n
    assert tr.gradcheck(run, [x, h0, c0, *params])


def test_layer_is_the_cell_unrolled_and_stacked():
    lstm = nn.PeepholeLSTM(3, 4, num_layers=2, batch_first=True).double()
    x = tr.randn(2, 5, 3, dtype=tr.float64)
    output, (h_n, c_n) = lstm(x)
    inputs = x.numpy().transpose(1, 0, 2)
    for k in range(2):
        params = [getattr(lstm, f"{n}_l{k}").numpy() for n in
                  ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ci", "weight_cf", "weight_co")]
        h, c, outs = np.zeros((2, 4)), np.zeros((2, 4)), []
        for x_t in inputs:
            h, c = peephole_step(x_t, h, c, *params)
            outs.append(h)
        inputs = np.stack(outs)
        np.testing.assert_allclose(h_n.numpy()[k], h, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(c_n.numpy()[k], c, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(output.numpy(), inputs.transpose(1, 0, 2), rtol=1e-12, atol=1e-12)


def test_padded_steps_keep_the_state_and_give_zero_output():
    lstm = nn.PeepholeLSTM(2, 3).double()
    x = tr.randn(5, 2, 2, dtype=tr.float64)
    output, (h_n, c_n) = lstm(x, lengths=[2, 5])
    alone, (h_alone, c_alone) = lstm(x[:2, :1])
    assert np.all(output.numpy()[2:, 0] == 0)
    np.testing.assert_allclose(output.numpy()[:2, :1], alone.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_n.numpy()[0, 0], h_alone.numpy()[0, 0], rtol=1e-12)
    np.testing.assert_allclose(c_n.numpy()[0, 0], c_alone.numpy()[0, 0], rtol=1e-12)


def test_every_composite_step_is_recorded_under_layer_and_time_scopes():
    lstm = nn.PeepholeLSTM(2, 3, num_layers=2, impl="composite")
    output, _ = lstm(tr.randn(3, 1, 2))
    scopes = {fn.scope for fn in topological_order(output._ctx) if fn.scope}
    for k in range(2):
        for t in range(3):
            assert (f"PeepholeLSTM layer {k} forward", f"t={t}") in scopes


def test_each_fused_layer_is_one_node_under_its_layer_scope():
    lstm = nn.PeepholeLSTM(2, 3, num_layers=2, impl="fused")
    output, _ = lstm(tr.randn(3, 1, 2))
    nodes = [fn for fn in topological_order(output._ctx) if fn.name == "PeepholeLSTMBPTT"]
    assert sorted(fn.scope for fn in nodes) == [(f"PeepholeLSTM layer {k} forward",) for k in range(2)]


@pytest.mark.parametrize("impl", ["fused", "composite"])
def test_cell_and_layer_give_the_same_numbers_on_both_paths(impl):
    lstm = nn.PeepholeLSTM(3, 4, num_layers=2, impl=impl).double()
    reference = nn.PeepholeLSTM(3, 4, num_layers=2, impl="composite" if impl == "fused" else "fused").double()
    reference.load_state_dict(lstm.state_dict())
    x = tr.randn(5, 2, 3, dtype=tr.float64)
    for got, want in zip(all_results(lstm, x), all_results(reference, x)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def all_results(lstm, x):
    x = tr.tensor(x.numpy(), requires_grad=True)
    output, (h_n, c_n) = lstm(x, lengths=[5, 2])
    ((output * output).sum() + h_n.sum() + (c_n * c_n).sum()).backward()
    return [output.numpy(), h_n.numpy(), c_n.numpy(), x.grad.numpy()] + [p.grad.numpy() for p in lstm.parameters()]


def test_wrong_input_size_is_named():
    with pytest.raises(tr.OpError, match=r"PeepholeLSTM: expected input of shape .* input_size=3, got \(4, 2, 5\)"):
        nn.PeepholeLSTM(3, 2)(tr.randn(4, 2, 5))


def test_wrong_state_shape_is_named():
    with pytest.raises(tr.OpError, match=r"PeepholeLSTMCell: expected c of shape \(2, 4\), got \(2, 3\)"):
        nn.PeepholeLSTMCell(3, 4)(tr.randn(2, 3), (tr.zeros(2, 4), tr.zeros(2, 3)))


def test_lengths_out_of_range_are_named():
    with pytest.raises(tr.OpError, match=r"PeepholeLSTM: every length must lie in 1\.\.4 .*got \[4, 0\]"):
        nn.PeepholeLSTM(3, 2)(tr.randn(4, 2, 3), lengths=[4, 0])


def test_zero_peepholes_give_the_library_lstm_cell():
    peephole = nn.PeepholeLSTMCell(3, 4).double()
    for name in ("weight_ci", "weight_cf", "weight_co"):
        getattr(peephole, name).data = np.zeros(4)
    plain = nn.LSTMCell(3, 4).double()
    plain.load_state_dict({n: p for n, p in peephole.state_dict().items() if n in dict(plain.named_parameters())})
    x = tr.randn(2, 3, dtype=tr.float64)
    h, c = random_state(2, 4)
    for got, want in zip(peephole(x, (h, c)), plain(x, (h, c))):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


def test_input_dtype_must_match_the_parameters():
    with pytest.raises(tr.OpError, match=r"PeepholeLSTM: input dtype float64 does not match the parameters' "
                                         r"dtype float32"):
        nn.PeepholeLSTM(3, 2)(tr.randn(4, 2, 3, dtype=tr.float64))


def test_without_bias_the_gates_have_no_offsets():
    cell = nn.PeepholeLSTMCell(3, 4, bias=False).double()
    assert [name for name, _ in cell.named_parameters()] == ["weight_ih", "weight_hh", "weight_ci", "weight_cf",
                                                             "weight_co"]
    x = tr.randn(2, 3, dtype=tr.float64)
    h, c = random_state(2, 4)
    params = cell_arrays(cell)
    params[2:4] = [np.zeros(16), np.zeros(16)]
    want_h, want_c = peephole_step(x.numpy(), h.numpy(), c.numpy(), *params)
    got_h, got_c = cell(x, (h, c))
    np.testing.assert_allclose(got_h.numpy(), want_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_c.numpy(), want_c, rtol=1e-12, atol=1e-12)


def test_the_initial_state_must_have_the_input_dtype():
    with pytest.raises(tr.OpError, match=r"PeepholeLSTM: c_0 has dtype float64 but the input has dtype float32"):
        nn.PeepholeLSTM(3, 4)(tr.randn(5, 2, 3), (tr.zeros(1, 2, 4), tr.zeros(1, 2, 4, dtype=tr.float64)))

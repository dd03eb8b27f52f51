"""Variational (recurrent) dropout LSTM: one mask per sequence, nn.LSTM in eval, PyTorch's ops written out."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def masks_from(rng, batch, sizes, p):
    """[(m_x, m_h)] per layer: Bernoulli(1 - p) / (1 - p), fixed for a test."""
    return [tuple(tr.tensor((rng.random((batch, s)) >= p) / (1 - p)) for s in pair) for pair in sizes]


def reference(x, p, m_x, m_h):
    """The docstring's equations in NumPy, one layer, zero initial state."""
    steps, batch, hidden = x.shape[0], x.shape[1], p["weight_hh_l0"].shape[1]
    h, c, outs, cells = np.zeros((batch, hidden)), np.zeros((batch, hidden)), [], []
    for t in range(steps):
        a = ((x[t] * m_x) @ p["weight_ih_l0"].T + p["bias_ih_l0"] + (h * m_h) @ p["weight_hh_l0"].T
             + p["bias_hh_l0"])
        a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
        c = sigmoid(a_f) * c + sigmoid(a_i) * np.tanh(a_g)
        h = sigmoid(a_o) * np.tanh(c)
        outs.append(h)
        cells.append(c)
    return np.stack(outs), np.stack(cells)


def test_parameters_are_nn_lstms_and_eval_mode_is_nn_lstm(device):
    ours = nn.VariationalLSTM(3, 4, num_layers=2, input_dropout=0.3, recurrent_dropout=0.5).double().to(device)
    plain = nn.LSTM(3, 4, num_layers=2).double().to(device)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in plain.state_dict().items()]
    plain.load_state_dict(ours.state_dict())
    ours.eval()
    x = tr.randn(6, 2, 3, dtype=tr.float64, device=device)
    out, (h_n, c_n) = ours(x)
    want, (want_h, want_c) = plain(x)
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(c_n.numpy(), want_c.numpy(), rtol=1e-12, atol=1e-13)


def test_training_with_given_masks_matches_the_equations(device):
    layer = nn.VariationalLSTM(3, 5, input_dropout=0.4, recurrent_dropout=0.4).double().to(device)
    x = tr.randn(7, 2, 3, dtype=tr.float64, device=device)
    masks = [tuple(m.to(device) for m in pair) for pair in masks_from(np.random.default_rng(0), 2, [(3, 5)], 0.4)]
    out, (h_n, c_n), cells = layer(x, masks=masks, return_cell_states=True)
    p = {k: v.numpy() for k, v in layer.state_dict().items()}
    want, want_cells = reference(x.numpy(), p, masks[0][0].numpy(), masks[0][1].numpy())
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(cells.numpy(), want_cells, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(c_n.numpy()[0], want_cells[-1], rtol=1e-12, atol=1e-13)


def test_one_mask_per_sequence_drops_the_same_input_features_at_every_step():
    layer = nn.VariationalLSTM(6, 4, input_dropout=0.5).double()
    x = tr.randn(8, 3, 6, dtype=tr.float64, requires_grad=True)
    (layer(x)[0] ** 2).sum().backward()
    dropped = x.grad.numpy() == 0                       # (T, batch, in)
    assert dropped.any() and not dropped.all()
    assert np.all(dropped == dropped[0:1])              # the same features of a sequence, at every step


def test_masks_are_drawn_anew_for_each_forward_while_training_and_not_in_eval():
    layer = nn.VariationalLSTM(3, 4, recurrent_dropout=0.5).double()
    x = tr.randn(5, 4, 3, dtype=tr.float64)
    first, second = layer(x)[0].numpy(), layer(x)[0].numpy()
    assert not np.allclose(first, second)
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0].numpy(), layer(x)[0].numpy())


def test_sampled_masks_hold_zeros_and_the_inverted_scale():
    layer = nn.VariationalLSTM(50, 60, num_layers=2, input_dropout=0.2, recurrent_dropout=0.25)
    masks = layer.sample_masks(400, tr.zeros(1))
    assert [tuple(m.shape) for pair in masks for m in pair] == [(400, 50), (400, 60), (400, 60), (400, 60)]
    m_h = masks[0][1].numpy()
    assert set(np.unique(m_h).tolist()) == {0.0, np.float32(1 / 0.75)}
    assert abs((m_h == 0).mean() - 0.25) < 0.02
    assert nn.VariationalLSTM(3, 4, recurrent_dropout=0.5).sample_masks(2, tr.zeros(1))[0][0] is None


def test_gradients_pass_gradcheck_in_float64_with_fixed_masks(device):
    layer = nn.VariationalLSTM(2, 3, num_layers=2, input_dropout=0.3, recurrent_dropout=0.3).double().to(device)
    masks = [tuple(m.to(device) for m in pair)
             for pair in masks_from(np.random.default_rng(3), 2, [(2, 3), (3, 3)], 0.3)]
    x = tr.randn(4, 2, 2, dtype=tr.float64, device=device, requires_grad=True)
    assert tr.gradcheck(lambda x: (layer(x, masks=masks)[0] ** 2).sum(), [x])
    assert tr.gradcheck(lambda w: (layer(x, masks=masks)[0] ** 2).sum(), [layer.weight_hh_l0])


def test_matches_torch_ops_written_out_forward_and_backward():
    torch = pytest.importorskip("torch")
    layer = nn.VariationalLSTM(3, 4, input_dropout=0.3, recurrent_dropout=0.3).double()
    x_np = np.random.default_rng(1).standard_normal((6, 2, 3))
    (m_x, m_h), = masks_from(np.random.default_rng(2), 2, [(3, 4)], 0.3)
    p = {k: torch.tensor(v.numpy(), requires_grad=True) for k, v in layer.state_dict().items()}
    tm_x, tm_h = torch.tensor(m_x.numpy()), torch.tensor(m_h.numpy())
    h, c, outs = torch.zeros(2, 4, dtype=torch.float64), torch.zeros(2, 4, dtype=torch.float64), []
    for t in range(6):
        gates = ((torch.tensor(x_np[t]) * tm_x) @ p["weight_ih_l0"].T + p["bias_ih_l0"]
                 + (h * tm_h) @ p["weight_hh_l0"].T + p["bias_hh_l0"])
        i, f, g, o = gates.chunk(4, 1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        outs.append(h)
    (torch.stack(outs) ** 2).sum().backward()

    out, _ = layer(tr.tensor(x_np), masks=[(m_x, m_h)])
    (out ** 2).sum().backward()
    np.testing.assert_allclose(out.numpy(), torch.stack(outs).detach().numpy(), rtol=1e-10, atol=1e-12)
    for name, param in layer.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), p[name].grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)


def test_eval_mode_matches_torch_lstm():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True).double()
    ours = nn.VariationalLSTM(3, 4, num_layers=2, batch_first=True, recurrent_dropout=0.5).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    with torch.no_grad():
        want, (want_h, want_c) = theirs(torch.tensor(x))
    out, (h_n, c_n) = ours(tr.tensor(x))
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c_n.numpy(), want_c.numpy(), rtol=1e-10, atol=1e-12)


def test_drawing_shows_each_mask_once_entering_every_step():
    layer = nn.VariationalLSTM(2, 3, recurrent_dropout=0.5)
    out, _ = layer(tr.randn(3, 1, 2))
    source = tr.viz.draw_graph(out, params=layer).source
    assert all(f'label="t={t}"' in source for t in range(3))
    assert source.count('label="m_h\\n') == 1 and source.count("h_{t-1} * m_h") == 3


def test_unroll_gives_every_c_t_of_a_cell():
    cell = nn.LSTMCell(3, 4, impl="composite").double()
    x = tr.randn(5, 2, 3, dtype=tr.float64)
    hidden, cells, (h, c) = nn.unroll(cell, x, return_cell_states=True)
    layer = nn.LSTM(3, 4).double()
    layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    _, (_, want_c) = layer(x[:3])
    assert len(hidden) == len(cells) == 5 and cells[-1] is c
    np.testing.assert_allclose(cells[2].numpy(), want_c.numpy()[0], rtol=1e-12)
    with pytest.raises(tr.OpError, match=r"unroll: return_cell_states=True needs a cell whose state is a pair"):
        nn.unroll(nn.GRUCell(3, 4), tr.randn(2, 1, 3), return_cell_states=True)


@pytest.mark.parametrize("make, call, match", [
    (lambda: nn.VariationalLSTM(3, 4, recurrent_dropout=1.0), None,
     r"VariationalLSTM: recurrent_dropout must be a probability in \[0, 1\), got 1.0"),
    (lambda: nn.VariationalLSTM(3, 4, recurrent_dropout=0.5),
     lambda m: m(tr.randn(5, 2, 3), masks=[(None, tr.ones(3, 4))]),
     r"VariationalLSTM: layer 0's m_h must be a float32 Tensor of shape \(2, 4\) on cpu .* "
     r"got float32 of shape \(3, 4\)"),
    (lambda: nn.VariationalLSTM(3, 4, num_layers=2), lambda m: m(tr.randn(5, 2, 3), masks=[(None, None)]),
     r"VariationalLSTM: masks must be a list of 2 \(m_x, m_h\) pairs, one per layer .* of length 1"),
    (lambda: nn.VariationalLSTM(3, 4), lambda m: m(tr.randn(5, 2, 2)),
     r"VariationalLSTM: expected input of shape \(T, batch, input_size\) .* input_size=3, got \(5, 2, 2\)"),
])
def test_bad_input_is_named_in_the_error(make, call, match):
    with pytest.raises(tr.OpError, match=match):
        call(make())

"""The fused cell ops (tinygrad_rnn/ops/{lstm,gru,rnn}_cell.py): their hand-written backward
against central differences, and their forward against the composite equations."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.ops.gru_cell import FusedGRUCell
from tinygrad_rnn.ops.lstm_cell import FusedLSTMCell
from tinygrad_rnn.ops.rnn_cell import FusedRNNCell


def inputs(device, *shapes):
    return [tr.randn(*s, dtype=tr.float64, device=device, requires_grad=True) for s in shapes]


def test_fused_lstm_cell_passes_gradcheck(device):
    gx, gh, c = inputs(device, (3, 8), (3, 8), (3, 2))
    assert tr.gradcheck(lambda a, b, c: FusedLSTMCell.apply(a, b, c), [gx, gh, c])


def test_fused_lstm_cell_backward_with_only_h_used(device):
    gx, gh, c = inputs(device, (3, 8), (3, 8), (3, 2))
    assert tr.gradcheck(lambda a, b, c: FusedLSTMCell.apply(a, b, c)[0], [gx, gh, c])


def test_fused_lstm_cell_backward_with_only_c_used(device):
    gx, gh, c = inputs(device, (3, 8), (3, 8), (3, 2))
    assert tr.gradcheck(lambda a, b, c: FusedLSTMCell.apply(a, b, c)[1], [gx, gh, c])


def test_fused_gru_cell_passes_gradcheck(device):
    gx, gh, h = inputs(device, (3, 6), (3, 6), (3, 2))
    assert tr.gradcheck(lambda a, b, h: FusedGRUCell.apply(a, b, h), [gx, gh, h])  # h_t and r


@pytest.mark.parametrize("output", [0, 1], ids=["h_only", "r_only"])
def test_fused_gru_cell_backward_with_one_output_used(output, device):
    gx, gh, h = inputs(device, (3, 6), (3, 6), (3, 2))
    assert tr.gradcheck(lambda a, b, h: FusedGRUCell.apply(a, b, h)[output], [gx, gh, h])


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_fused_rnn_cell_passes_gradcheck(nonlinearity, device):
    gx, gh = inputs(device, (3, 4), (3, 4))
    if nonlinearity == "relu":  # away from the kink at 0
        gx.data = gx.data + 0.05 * np.sign(gx.numpy() + gh.numpy())
    assert tr.gradcheck(lambda a, b: FusedRNNCell.apply(a, b, nonlinearity=nonlinearity), [gx, gh])


def test_fused_lstm_cell_equals_the_equations():
    gx, gh, c = (np.random.default_rng(k).standard_normal(s) for k, s in enumerate([(2, 12), (2, 12), (2, 3)]))
    h, c_new = FusedLSTMCell.apply(tr.tensor(gx), tr.tensor(gh), tr.tensor(c))
    a = gx + gh
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    i, f, g, o = sig(a[:, :3]), sig(a[:, 3:6]), np.tanh(a[:, 6:9]), sig(a[:, 9:])
    expected_c = f * c + i * g
    np.testing.assert_allclose(c_new.numpy(), expected_c, rtol=1e-13)
    np.testing.assert_allclose(h.numpy(), o * np.tanh(expected_c), rtol=1e-13)


def test_fused_gru_cell_equals_the_equations():
    gx, gh, h = (np.random.default_rng(k).standard_normal(s) for k, s in enumerate([(2, 9), (2, 9), (2, 3)]))
    out, reset = FusedGRUCell.apply(tr.tensor(gx), tr.tensor(gh), tr.tensor(h))
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    r, z = sig(gx[:, :3] + gh[:, :3]), sig(gx[:, 3:6] + gh[:, 3:6])
    n = np.tanh(gx[:, 6:] + r * gh[:, 6:])
    np.testing.assert_allclose(out.numpy(), (1 - z) * n + z * h, rtol=1e-13)
    np.testing.assert_allclose(reset.numpy(), r, rtol=1e-13)


def test_fused_lstm_cell_names_mismatched_shapes():
    with pytest.raises(tr.OpError, match=r"FusedLSTMCell: LSTM cell: expected gates_x and gates_h of shape"):
        FusedLSTMCell.apply(tr.zeros(2, 8), tr.zeros(2, 8), tr.zeros(2, 3))


def _backward_peak_growth(layer, retain_graph):
    """Bytes the fast path's backward allocates beyond what forward left alive."""
    import tracemalloc
    tr.manual_seed(0)
    rnn = getattr(nn, layer)(8, 32, impl="fused")
    x = tr.randn(200, 4, 8)
    out, _ = rnn(x)
    loss = out.sum()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss.backward(retain_graph=retain_graph)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - before


@pytest.mark.parametrize("layer, gates", [("LSTM", 4), ("GRU", 3)])
def test_fast_path_backward_turns_activations_into_gate_gradients_in_place(layer, gates):
    projection_bytes = 200 * 4 * gates * 32 * 4       # (T * batch, G*H) float32
    in_place = _backward_peak_growth(layer, retain_graph=False)
    copied = _backward_peak_growth(layer, retain_graph=True)  # the activations must survive: a second buffer
    assert copied - in_place > 0.8 * projection_bytes


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "RNN"])
def test_fast_path_output_is_the_buffer_the_steps_wrote_into_not_a_stacked_copy(layer):
    out, _ = getattr(nn, layer)(3, 4, impl="fused")(tr.randn(6, 2, 3, requires_grad=True))
    node = out.grad_fn
    assert node.name == "StepOutputs"
    assert out.array is node.record.output          # no (T, B, H) copy was made
    composite, _ = nn.LSTM(3, 4, impl="composite")(tr.randn(6, 2, 3))
    assert composite.grad_fn.name == "Stack"   # the composite path keeps the plain stack

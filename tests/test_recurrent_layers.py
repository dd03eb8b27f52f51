"""Recurrent layers on their own: the two implementations agree, both pass gradcheck, steps are
recorded under scopes, initialisation and dropout behave, and bad input is named clearly."""

import math

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.autograd import topological_order

KINDS = {
    "rnn_tanh": lambda **kw: nn.RNN(2, 2, nonlinearity="tanh", **kw),
    "rnn_relu": lambda **kw: nn.RNN(2, 2, nonlinearity="relu", **kw),
    "lstm": lambda **kw: nn.LSTM(2, 2, **kw),
    "gru": lambda **kw: nn.GRU(2, 2, **kw),
}


def initial_state(kind, shape, device="cpu"):
    states = [tr.randn(*shape, dtype=tr.float64, device=device, requires_grad=True)
              for _ in range(2 if kind == "lstm" else 1)]
    return states, (tuple(states) if kind == "lstm" else states[0])


def all_outputs(result):
    output, state = result
    return [output] + (list(state) if isinstance(state, tuple) else [state])


@pytest.fixture
def restore_default_impl():
    old = nn.get_recurrent_impl()
    yield
    nn.set_recurrent_impl(old)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fused_and_composite_give_the_same_outputs_and_gradients(kind, device):
    layers = {impl: KINDS[kind](num_layers=2, bidirectional=True, impl=impl).double().to(device)
              for impl in ("fused", "composite")}
    layers["composite"].load_state_dict(layers["fused"].state_dict())
    x_np = np.random.default_rng(0).standard_normal((4, 3, 2))
    h_np = [np.random.default_rng(1).standard_normal((4, 3, 2)) for _ in range(2 if kind == "lstm" else 1)]
    results = {}
    for impl, layer in layers.items():
        x = tr.tensor(x_np, device=device, requires_grad=True)
        states = [tr.tensor(h, device=device, requires_grad=True) for h in h_np]
        outs = all_outputs(layer(x, tuple(states) if kind == "lstm" else states[0], lengths=[4, 2, 3]))
        total = outs[0].sum()
        for k, o in enumerate(outs):
            total = total + (o * o).sum() * (k + 1)
        total.backward()
        results[impl] = ([o.numpy() for o in outs], x.grad.numpy(), [s.grad.numpy() for s in states],
                         [p.grad.numpy() for p in layer.parameters()])
    fused, composite = results["fused"], results["composite"]
    for a, b in zip(fused[0] + [fused[1]] + fused[2] + fused[3], composite[0] + [composite[1]] + composite[2]
                    + composite[3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("impl", ["fused", "composite"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_layer_gradients_pass_gradcheck(kind, impl):
    layer = KINDS[kind](num_layers=2, bidirectional=True, impl=impl).double()
    x = tr.randn(3, 2, 2, dtype=tr.float64, requires_grad=True)
    states, hx = initial_state(kind, (4, 2, 2))
    if kind == "rnn_relu":  # keep pre-activations away from relu's kink, where differences are meaningless
        for p in layer.parameters():
            p.data = np.abs(p.data) + 0.1
        x.data = np.abs(x.data)
        for s in states:
            s.data = np.abs(s.data)
    params = list(layer.parameters())

    def run(x, *rest):
        return tuple(all_outputs(layer(x, hx, lengths=[3, 2])))

    assert tr.gradcheck(run, [x, *states, *params])


@pytest.mark.parametrize("impl", ["fused", "composite"])
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_cell_gradients_pass_gradcheck(kind, impl):
    cell = {"lstm": nn.LSTMCell, "gru": nn.GRUCell, "rnn_tanh": nn.RNNCell}[kind](3, 2, impl=impl).double()
    x = tr.randn(2, 3, dtype=tr.float64, requires_grad=True)
    states, hx = initial_state(kind, (2, 2))

    def run(x, *rest):
        return cell(x, hx)

    assert tr.gradcheck(run, [x, *states, *cell.parameters()])


def test_each_composite_step_is_recorded_under_layer_direction_and_step_scopes():
    layer = nn.LSTM(2, 3, num_layers=2, bidirectional=True, impl="composite")
    output, (h_n, c_n) = layer(tr.randn(4, 1, 2, requires_grad=True))
    scopes = {fn.scope for fn in topological_order((output.sum() + h_n.sum() + c_n.sum())._ctx)}
    for k in range(2):
        for direction in ("forward", "reverse"):
            for t in range(4):
                assert (f"LSTM layer {k} {direction}", f"t={t}") in scopes


def test_each_fused_layer_direction_is_one_node_under_its_layer_scope():
    layer = nn.LSTM(2, 3, num_layers=2, bidirectional=True, impl="fused")
    output, (h_n, c_n) = layer(tr.randn(4, 1, 2, requires_grad=True))
    nodes = [fn for fn in topological_order((output.sum() + h_n.sum() + c_n.sum())._ctx) if fn.name == "LSTMBPTT"]
    assert sorted(fn.scope for fn in nodes) == [(f"LSTM layer {k} {d}",) for k in range(2)
                                                for d in ("forward", "reverse")]


def test_a_layer_follows_the_global_default_implementation(restore_default_impl):
    layer = nn.GRU(2, 3)
    x = tr.randn(3, 1, 2)
    nn.set_recurrent_impl("composite")
    composite_ops = {fn.name for fn in topological_order(layer(x)[0].sum()._ctx)}
    nn.set_recurrent_impl("fused")
    fused_ops = {fn.name for fn in topological_order(layer(x)[0].sum()._ctx)}
    assert "GRUBPTT" in fused_ops and "GRUBPTT" not in composite_ops
    assert "Sigmoid" in composite_ops


def test_a_layer_built_with_impl_ignores_the_global_default(restore_default_impl):
    nn.set_recurrent_impl("fused")
    layer = nn.LSTM(2, 3, impl="composite")
    ops = {fn.name for fn in topological_order(layer(tr.randn(3, 1, 2))[0].sum()._ctx)}
    assert "LSTMBPTT" not in ops


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_parameters_start_uniform_within_one_over_sqrt_hidden(kind):
    layer = {"rnn_tanh": nn.RNN, "rnn_relu": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](8, 16, num_layers=2)
    values = np.concatenate([p.numpy().ravel() for p in layer.parameters()])
    bound = 1 / math.sqrt(16)
    assert np.all(np.abs(values) <= bound)
    assert values.min() < -0.9 * bound and values.max() > 0.9 * bound  # spread over the whole interval
    assert all(p.dtype == np.float32 for p in layer.parameters())


def test_lengths_equal_to_the_sequence_length_change_nothing():
    layer = nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    x = tr.randn(4, 3, 2)
    full, padded = layer(x), layer(x, lengths=[4, 4, 4])
    for a, b in zip(all_outputs(full), all_outputs(padded)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_padded_steps_output_zeros_and_leave_the_final_state_alone():
    layer = nn.GRU(2, 3, bidirectional=True)
    x = tr.randn(5, 2, 2)
    output, h_n = layer(x, lengths=[5, 2])
    assert np.all(output.numpy()[2:, 1] == 0)
    short_output, short_h = layer(x[:2, 1:2])  # the second sequence alone, unpadded
    np.testing.assert_allclose(output.numpy()[:2, 1:2], short_output.numpy(), rtol=1e-6)
    np.testing.assert_allclose(h_n.numpy()[:, 1:2], short_h.numpy(), rtol=1e-6)


def test_dropout_between_layers_changes_the_output_only_while_training():
    layer = nn.LSTM(2, 8, num_layers=2, dropout=0.5)
    x = tr.randn(3, 4, 2)
    layer.eval()
    reference = layer(x)[0].numpy()
    np.testing.assert_array_equal(layer(x)[0].numpy(), reference)
    layer.train()
    assert not np.allclose(layer(x)[0].numpy(), reference)


def test_dropout_has_no_effect_on_a_single_layer():
    layer = nn.GRU(2, 8, num_layers=1, dropout=0.5)
    x = tr.randn(3, 4, 2)
    train_out = layer(x)[0].numpy()
    np.testing.assert_array_equal(layer.eval()(x)[0].numpy(), train_out)


def test_batch_first_output_is_the_transpose_of_time_major():
    time_major = nn.RNN(2, 3, num_layers=2)
    batch_first = nn.RNN(2, 3, num_layers=2, batch_first=True)
    batch_first.load_state_dict(time_major.state_dict())
    x = tr.randn(4, 3, 2)
    a, h_a = time_major(x)
    b, h_b = batch_first(x.transpose(0, 1))
    np.testing.assert_allclose(b.numpy(), a.numpy().transpose(1, 0, 2), rtol=1e-6)
    np.testing.assert_allclose(h_b.numpy(), h_a.numpy(), rtol=1e-6)


# ---- errors -------------------------------------------------------------------

def test_wrong_input_size_is_named():
    with pytest.raises(tr.OpError, match=r"LSTM: expected input of shape \(T, batch, 2\).*got \(4, 3, 5\)"):
        nn.LSTM(2, 3)(tr.randn(4, 3, 5))


def test_wrong_hx_shape_is_named():
    with pytest.raises(tr.OpError, match=r"GRU: expected hx of shape \(2, 3, 4\).*got \(1, 3, 4\)"):
        nn.GRU(2, 4, bidirectional=True)(tr.randn(5, 3, 2), tr.zeros(1, 3, 4))


def test_lstm_hx_must_be_a_pair():
    with pytest.raises(tr.OpError, match=r"LSTM: hx must be a tuple \(h_0, c_0\)"):
        nn.LSTM(2, 4)(tr.randn(5, 3, 2), tr.zeros(1, 3, 4))


def test_lengths_out_of_range_are_named():
    with pytest.raises(tr.OpError, match=r"RNN: every length must lie in 1\.\.5.*\[6, 2\]"):
        nn.RNN(2, 4)(tr.randn(5, 2, 2), lengths=[6, 2])


def test_lengths_of_the_wrong_count_are_named():
    with pytest.raises(tr.OpError, match=r"RNN: lengths must hold one int per batch item \(2\)"):
        nn.RNN(2, 4)(tr.randn(5, 2, 2), lengths=[5, 2, 1])


def test_input_dtype_must_match_the_parameters():
    with pytest.raises(tr.OpError, match="LSTMCell: input dtype float64 does not match the parameters' dtype float32"):
        nn.LSTMCell(2, 3)(tr.randn(4, 2, dtype=tr.float64))


def test_initial_state_dtype_must_match_the_input():
    with pytest.raises(tr.OpError, match="GRU: hx has dtype float64 but the input has dtype float32"):
        nn.GRU(2, 3)(tr.randn(4, 1, 2), tr.zeros(1, 1, 3, dtype=tr.float64))


def test_unknown_impl_is_named():
    with pytest.raises(tr.OpError, match=r"LSTM: impl must be one of \('fused', 'composite'\).*'fast'"):
        nn.LSTM(2, 3, impl="fast")
    with pytest.raises(tr.OpError, match="set_recurrent_impl: impl must be one of"):
        nn.set_recurrent_impl("cudnn")


def test_unknown_nonlinearity_is_named():
    with pytest.raises(tr.OpError, match=r"RNN: nonlinearity must be one of \('tanh', 'relu'\), got 'sigmoid'"):
        nn.RNN(2, 3, nonlinearity="sigmoid")


def test_cell_state_of_the_wrong_shape_is_named():
    with pytest.raises(tr.OpError, match=r"LSTMCell: expected c of shape \(4, 3\), got \(4, 2\)"):
        nn.LSTMCell(2, 3)(tr.randn(4, 2), (tr.zeros(4, 3), tr.zeros(4, 2)))


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_fused_weight_gradient_taken_once_per_sequence_matches_composite_when_only_one_step_is_read(kind):
    layers = {impl: KINDS[kind](impl=impl).double() for impl in ("fused", "composite")}
    layers["composite"].load_state_dict(layers["fused"].state_dict())
    x = tr.randn(5, 2, 2, dtype=tr.float64)
    for layer in layers.values():
        output, _ = layer(x)
        loss = (output[2] * output[2]).sum()  # steps 3 and 4 get no gradient at all
        loss.backward(retain_graph=True)
        loss.backward()  # a second pass through the retained graph accumulates the same again
    for (name, p), q in zip(layers["fused"].named_parameters(), layers["composite"].parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)


def test_fused_backward_after_changing_a_weight_in_place_is_refused():
    layer = nn.LSTM(2, 3, impl="fused")
    output, _ = layer(tr.randn(4, 1, 2))
    layer.weight_hh_l0.data -= 0.1  # e.g. an optimizer step between forward and backward
    with pytest.raises(tr.GraphError, match="modified in place after the forward pass"):
        output.sum().backward()

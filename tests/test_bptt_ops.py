"""The hand-written BPTT ops (tinygrad_rnn/bptt): their backward against central differences and
against the composite path's autograd, with lengths, hx, both directions, stacked layers and a
retained graph; what they keep, what they hand out, and how they name bad input."""

import tracemalloc

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.autograd import topological_order
from tinygrad_rnn.bptt import GRUBPTT, LSTMBPTT, RNNBPTT, PeepholeLSTMBPTT
from tinygrad_rnn.nn.sequence_checks import step_masks

T, B, IN, H = 4, 3, 2, 3
LENGTHS = np.array([4, 1, 3])


def leaf(device, *shape):
    return tr.randn(*shape, dtype=tr.float64, device=device, requires_grad=True)


def op_inputs(family, device, bias=True, batch=B):
    """(op, inputs) for one direction of one layer, every input a float64 leaf."""
    gates = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3, "peephole": 4}[family]
    states = 2 if family in ("lstm", "peephole") else 1
    inputs = [leaf(device, T, batch, IN)] + [leaf(device, batch, H) for _ in range(states)]
    inputs += [leaf(device, gates * H, IN), leaf(device, gates * H, H)]
    if family == "peephole":
        inputs += [leaf(device, H) for _ in range(3)]
    if bias:
        inputs += [leaf(device, gates * H), leaf(device, gates * H)]
    op = {"rnn_tanh": RNNBPTT, "rnn_relu": RNNBPTT, "lstm": LSTMBPTT, "gru": GRUBPTT, "peephole": PeepholeLSTMBPTT}
    return op[family], inputs


def apply(family, op, inputs, **options):
    if family.startswith("rnn"):
        options["nonlinearity"] = family[4:]
    return op.apply(*inputs, **options)


FAMILIES = ["rnn_tanh", "rnn_relu", "lstm", "gru", "peephole"]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "lengths"])
def test_every_input_gradient_passes_gradcheck(family, reverse, lengths, device):
    op, inputs = op_inputs(family, device)
    masks = None if lengths is None else step_masks(lengths, T, inputs[0])
    assert tr.gradcheck(lambda *xs: apply(family, op, xs, reverse=reverse, masks=masks), inputs)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("lengths", [None, np.array([3])], ids=["full", "lengths"])
def test_gradcheck_at_batch_1_where_the_gates_are_kept_as_rows(family, reverse, lengths, device):
    op, inputs = op_inputs(family, device, batch=1)
    masks = None if lengths is None else step_masks(lengths, T, inputs[0])
    assert tr.gradcheck(lambda *xs: apply(family, op, xs, reverse=reverse, masks=masks), inputs)
    assert tr.gradcheck(lambda *xs: apply(family, op, xs, reverse=reverse, masks=masks), inputs)


@pytest.mark.parametrize("family", FAMILIES)
def test_gradcheck_without_bias(family):
    op, inputs = op_inputs(family, "cpu", bias=False)
    assert tr.gradcheck(lambda *xs: apply(family, op, xs), inputs)


@pytest.mark.parametrize("family", ["lstm", "gru", "rnn_tanh"])
@pytest.mark.parametrize("output", [0, 1], ids=["only_output", "only_h_n"])
def test_gradcheck_when_only_one_output_is_used(family, output):
    op, inputs = op_inputs(family, "cpu")
    assert tr.gradcheck(lambda *xs: apply(family, op, xs)[output], inputs)


def test_steps_past_the_longest_sequence_are_not_run_and_give_zeros():
    op, inputs = op_inputs("lstm", "cpu")
    masks = step_masks(np.array([2, 1, 2]), T, inputs[0])
    out, h_n, c_n = LSTMBPTT.apply(*inputs, masks=masks)
    assert np.all(out.numpy()[2:] == 0) and np.all(out.numpy()[1, 1] == 0)
    assert tr.gradcheck(lambda *xs: LSTMBPTT.apply(*xs, masks=masks), inputs)


LAYERS = {
    "rnn_tanh": lambda **kw: nn.RNN(2, 3, **kw),
    "rnn_relu": lambda **kw: nn.RNN(2, 3, nonlinearity="relu", **kw),
    "lstm": lambda **kw: nn.LSTM(2, 3, **kw),
    "gru": lambda **kw: nn.GRU(2, 3, **kw),
}


def run_layer(layer, x_np, h_np, kind, backwards=1):
    """Output, final state and every gradient after `backwards` backward passes through one graph."""
    x = tr.tensor(x_np, requires_grad=True)
    states = [tr.tensor(h, requires_grad=True) for h in h_np]
    output, state = layer(x, tuple(states) if kind == "lstm" else states[0], lengths=[4, 2, 3])
    finals = list(state) if isinstance(state, tuple) else [state]
    loss = (output * output).sum() + sum((f * f).sum() * (k + 2) for k, f in enumerate(finals))
    for k in range(backwards):
        loss.backward(retain_graph=k < backwards - 1)
    return ([output.numpy()] + [f.numpy() for f in finals] + [x.grad.numpy()] + [s.grad.numpy() for s in states]
            + [p.grad.numpy() for p in layer.parameters()])


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_backward_twice_through_a_retained_graph_matches_the_composite_path(kind):
    fused = LAYERS[kind](num_layers=2, bidirectional=True, impl="fused").double()
    composite = LAYERS[kind](num_layers=2, bidirectional=True, impl="composite").double()
    composite.load_state_dict(fused.state_dict())
    x_np = np.random.default_rng(0).standard_normal((4, 3, 2))
    h_np = [np.random.default_rng(k + 1).standard_normal((4, 3, 3)) for k in range(2 if kind == "lstm" else 1)]
    once = run_layer(fused, x_np, h_np, kind)
    fused.zero_grad()
    twice, reference = run_layer(fused, x_np, h_np, kind, backwards=2), run_layer(composite, x_np, h_np, kind, 2)
    for a, b in zip(twice, reference):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    n_values = 1 + len(h_np)
    for a, b in zip(twice[n_values:], once[n_values:]):  # gradients: the second pass added the same again
        np.testing.assert_allclose(a, 2 * b, rtol=1e-12, atol=1e-12)


def test_two_forwards_of_one_layer_backpropagate_independently_in_any_order():
    layer = nn.LSTM(2, 3, impl="fused").double()
    x1, x2 = tr.randn(5, 2, 2, dtype=tr.float64), tr.randn(5, 2, 2, dtype=tr.float64)
    first, second = layer(x1)[0].sum(), (layer(x2)[0] ** 2).sum()
    second.backward()
    g2 = layer.weight_hh_l0.grad.numpy().copy()
    layer.zero_grad()
    first.backward()
    g1 = layer.weight_hh_l0.grad.numpy().copy()
    reference = nn.LSTM(2, 3, impl="composite").double()
    reference.load_state_dict(layer.state_dict())
    reference(x1)[0].sum().backward()
    np.testing.assert_allclose(g1, reference.weight_hh_l0.grad.numpy(), rtol=1e-12)
    reference.zero_grad()
    (reference(x2)[0] ** 2).sum().backward()
    np.testing.assert_allclose(g2, reference.weight_hh_l0.grad.numpy(), rtol=1e-12)


def _backward_peak_growth(layer, retain_graph):
    """Bytes the fused backward allocates beyond what forward left alive."""
    tr.manual_seed(0)
    rnn = getattr(nn, layer)(8, 32, impl="fused")
    out, _ = rnn(tr.randn(200, 4, 8))
    loss = out.sum()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss.backward(retain_graph=retain_graph)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - before


@pytest.mark.parametrize("layer, gates", [("LSTM", 4), ("GRU", 3)])
def test_backward_turns_the_activations_into_gate_gradients_in_place_unless_the_graph_is_retained(layer, gates):
    projection_bytes = 200 * 4 * gates * 32 * 4       # (G, T * batch, H) float32
    in_place = _backward_peak_growth(layer, retain_graph=False)
    copied = _backward_peak_growth(layer, retain_graph=True)  # the activations must survive: a copy
    assert copied - in_place > 0.8 * projection_bytes
    assert in_place < 0.5 * projection_bytes


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "RNN"])
def test_the_output_is_a_slice_of_the_saved_states_not_a_copy(layer):
    out, _ = getattr(nn, layer)(3, 4, impl="fused")(tr.randn(6, 2, 3, requires_grad=True))
    node = out.grad_fn
    assert node.name == f"{layer}BPTT"
    saved_states = node.saved[-1] if layer != "LSTM" else node.saved[4]
    assert out.array.base is saved_states      # no (T, B, H) copy: the engine checks it as a saved array


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "RNN"])
def test_a_graph_freed_by_backward_refuses_a_second_backward(layer):
    out, _ = getattr(nn, layer)(3, 4, impl="fused")(tr.randn(6, 2, 3, requires_grad=True))
    out.backward(np.ones(out.shape, dtype=np.float32))
    with pytest.raises(tr.GraphError, match=f"{layer}BPTT in {layer} layer 0 forward was already backpropagated"):
        out.backward(np.ones(out.shape, dtype=np.float32))


def test_mismatched_shapes_are_named():
    with pytest.raises(tr.OpError, match=r"LSTMBPTT: expected x \(T, B, I\), h_0 \(B, H\), weight_ih \(4H, I\) and "
                                         r"weight_hh \(4H, H\), got x \(4, 3, 2\), h_0 \(3, 5\)"):
        LSTMBPTT.apply(tr.zeros(4, 3, 2), tr.zeros(3, 5), tr.zeros(3, 5), tr.zeros(12, 2), tr.zeros(12, 3))


def test_an_unknown_nonlinearity_is_named():
    with pytest.raises(tr.OpError, match=r"RNNBPTT: nonlinearity must be one of \('tanh', 'relu'\), got 'gelu'"):
        RNNBPTT.apply(tr.zeros(4, 3, 2), tr.zeros(3, 3), tr.zeros(3, 2), tr.zeros(3, 3), nonlinearity="gelu")


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "RNN"])
def test_the_op_keeps_no_masks_after_its_last_backward(layer):
    out, _ = getattr(nn, layer)(3, 4, impl="fused")(tr.randn(6, 2, 3, requires_grad=True), lengths=[6, 3])
    node = next(fn for fn in topological_order(out._ctx) if fn.name.endswith("BPTT"))
    out.sum().backward()
    assert node.masks is None


MUTATED = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU, "peephole": nn.PeepholeLSTM}


@pytest.mark.parametrize("impl", ["fused", "composite"])
@pytest.mark.parametrize("kind", sorted(MUTATED))
def test_changing_the_output_in_place_after_forward_is_refused_or_harmless(kind, impl):
    # out.sum() saves nothing of out: only what the layer itself kept can see the change
    tr.manual_seed(0)
    layer = MUTATED[kind](3, 4, impl=impl).double()
    x = tr.randn(5, 2, 3, dtype=tr.float64)
    out, _ = layer(x)
    loss = out.sum()
    with tr.no_grad():
        out.mul_(0.5)
    try:
        loss.backward()
    except tr.GraphError as error:
        assert "modified in place" in str(error)
        return
    got = layer.weight_hh_l0.grad.numpy()
    layer.zero_grad()
    layer(x)[0].sum().backward()  # the gradient of the program as written: torch's (the parity tests hold it)
    np.testing.assert_allclose(got, layer.weight_hh_l0.grad.numpy(), rtol=1e-12)

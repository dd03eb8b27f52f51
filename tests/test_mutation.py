"""Mutation as PyTorch: .data is a Tensor, in-place methods and item assignment are recorded,
one version counter per storage catches every change to a saved value."""

import gc
import tracemalloc

import numpy as np
import pytest

import tinygrad_rnn as tr


def leaf(values, device="cpu"):
    return tr.tensor(np.asarray(values, dtype=np.float64), device=device, requires_grad=True)


# ---- .data ---------------------------------------------------------------------------------------

def test_data_is_a_tensor_on_the_same_storage_outside_the_graph(device):
    x = leaf([1.0, 2.0], device) * 3
    d = x.data
    assert isinstance(d, tr.Tensor) and not d.requires_grad and d.grad_fn is None
    d.mul_(0.5)
    np.testing.assert_allclose(x.numpy(), [1.5, 3.0])


def test_writing_through_data_of_a_saved_output_is_caught(device):
    y = leaf([0.1, 0.2], device).exp()      # Exp keeps its output for backward
    loss = y.sum()
    y.data -= 1
    with pytest.raises(tr.GraphError, match=r"output #0 of Exp \(shape \(2,\)\) was modified in place after the "
                                            r"forward pass \(version 0 -> 1\)"):
        loss.backward()


@pytest.mark.parametrize("write", [
    lambda b: b.detach().data.sub_(10),
    lambda b: b.reshape(2).data.sub_(10),
    lambda b: b.data.__setitem__(0, 100.0),
    lambda b: b.t().sub_(1) if False else b.detach()[0].fill_(7),
], ids=["detach().data", "reshape().data", "data[0] =", "detach()[0].fill_"])
def test_every_alias_of_a_saved_input_shares_its_version_counter(device, write):
    b = leaf([1.0, 2.0], device) * 1
    loss = (b * b).sum()
    write(b)
    with pytest.raises(tr.GraphError, match=r"input #\d of Mul .* was modified in place"):
        loss.backward()


def test_numpy_gives_a_read_only_view_so_no_write_goes_unseen():
    x = tr.ones(3)
    view = x.numpy()
    assert not view.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        view[:] = 0
    np.testing.assert_array_equal(x.numpy(), [1.0, 1.0, 1.0])


def test_array_is_the_raw_storage_that_the_ops_read():
    x = tr.ones(3)
    assert x.array is x.data.array is x.detach().array


# ---- in-place methods -----------------------------------------------------------------------------

def test_an_in_place_change_of_a_leaf_that_requires_grad_is_refused_while_recording(device):
    w = leaf([1.0, 2.0], device)
    with pytest.raises(tr.GraphError, match=r"add_: a leaf tensor that requires grad \(shape \(2,\)\) cannot be "
                                            r"changed in place while the graph is recorded"):
        w.add_(1)
    with pytest.raises(tr.GraphError, match="a view of a leaf tensor that requires grad"):
        w[0].mul_(2)


def test_under_no_grad_a_leaf_changes_in_place_and_stays_a_leaf(device):
    w = leaf([1.0, 2.0], device)
    with tr.no_grad():
        w -= 0.5 * tr.ones(2, dtype=tr.float64, device=device)
        w.mul_(2)
    assert w.is_leaf and w.requires_grad and w._version == 2
    np.testing.assert_allclose(w.numpy(), [1.0, 3.0])


IN_PLACE = {
    "add_": (lambda x, v: x.add_(v, alpha=0.5), lambda x, v: x + 0.5 * v),
    "sub_": (lambda x, v: x.sub_(v, alpha=2), lambda x, v: x - 2 * v),
    "mul_": (lambda x, v: x.mul_(v), lambda x, v: x * v),
    "div_": (lambda x, v: x.div_(v), lambda x, v: x / v),
    "pow_": (lambda x, v: x.pow_(2), lambda x, v: x ** 2),
    "neg_": (lambda x, v: x.neg_(), lambda x, v: -x),
    "exp_": (lambda x, v: x.exp_(), lambda x, v: x.exp()),
    "tanh_": (lambda x, v: x.tanh_(), lambda x, v: x.tanh()),
    "sigmoid_": (lambda x, v: x.sigmoid_(), lambda x, v: x.sigmoid()),
    "relu_": (lambda x, v: x.relu_(), lambda x, v: x.relu()),
    "clamp_": (lambda x, v: x.clamp_(-0.5, 0.5), lambda x, v: x.clamp(-0.5, 0.5)),
    "masked_fill_": (lambda x, v: x.masked_fill_(tr.tensor([True, False, True]), 2.0),
                     lambda x, v: x.masked_fill(tr.tensor([True, False, True]), 2.0)),
    "copy_": (lambda x, v: x.copy_(v * 3), lambda x, v: v * 3),
    "fill_": (lambda x, v: x.fill_(1.5) + v, lambda x, v: tr.full((3,), 1.5, dtype=tr.float64) + v),
    "zero_": (lambda x, v: x.zero_() + v, lambda x, v: v * 1),
    "+=": (lambda x, v: x.__iadd__(v), lambda x, v: x + v),
    "*=": (lambda x, v: x.__imul__(v), lambda x, v: x * v),
    "setitem": (lambda x, v: x.__setitem__(slice(0, 2), v[1:] * 2) or x, lambda x, v: tr.cat([v[1:] * 2, x[2:]])),
}


@pytest.mark.parametrize("name", list(IN_PLACE))
def test_an_in_place_op_on_a_non_leaf_has_the_gradient_of_its_out_of_place_form(name):
    in_place, out_of_place = IN_PLACE[name]
    a, v = leaf([0.3, -0.7, 1.1]), leaf([0.9, 1.3, -0.4])

    def recorded(a, v):
        x = a * 1.5            # a non-leaf: in-place ops on it are recorded
        out = in_place(x, v)
        return (x if out is None else out) * tr.tensor([1.0, 2.0, 3.0], dtype=tr.float64)

    np.testing.assert_allclose(recorded(a, v).numpy(), (out_of_place(a * 1.5, v) * tr.tensor(
        [1.0, 2.0, 3.0], dtype=tr.float64)).numpy(), rtol=1e-12)
    assert tr.gradcheck(recorded, [a, v])


def test_an_in_place_op_repoints_the_tensor_and_leaves_earlier_readers_alone():
    a = leaf([1.0, 2.0])
    x = a * 2
    before = x * 1          # reads x's old value: its gradient must not see the later mul_
    x.mul_(10)
    (before.sum() + x.sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0 + 20.0, 2.0 + 20.0])


def test_an_in_place_op_on_a_view_reaches_the_base_and_its_other_views():
    torch = pytest.importorskip("torch")
    ours, theirs = leaf([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64,
                                                              requires_grad=True)
    for x in (ours, theirs):
        b = x * 2
        whole = b.view(2, 2)        # taken before the change: must see it
        b[1:3].mul_(10)
        (whole * whole).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


def test_augmented_operators_change_the_storage_other_views_share():
    t = tr.zeros(2, 3)
    row = t[0]
    t.data *= 0.5
    t += 1
    row *= 4
    np.testing.assert_array_equal(t.numpy(), [[4.0, 4.0, 4.0], [1.0, 1.0, 1.0]])


def test_writing_a_float_into_an_integer_tensor_is_refused_as_in_pytorch():
    x = tr.tensor([1, 2, 3])
    with pytest.raises(tr.OpError, match=r"add_: .*int64"):
        x.add_(0.5)
    x.add_(2)
    assert x.tolist() == [3, 4, 5]


def test_an_expanded_view_cannot_be_changed_in_place():
    x = tr.ones(1, 3).expand(4, 3)
    with pytest.raises(tr.OpError, match=r"add_: this tensor \(shape \(4, 3\)\) is an expanded view"):
        x.add_(1)


def test_shape_changing_in_place_methods(device):
    x = tr.ones(2, 3, device=device)
    assert x.unsqueeze_(0).shape == (1, 2, 3)
    assert x.squeeze_().shape == (2, 3)
    assert x.t_().shape == (3, 2)


def test_detach_cuts_in_place_and_requires_grad_sets():
    y = leaf([1.0]) * 2
    y.detach_()
    assert y.is_leaf and not y.requires_grad
    assert tr.zeros(2).requires_grad_().requires_grad


def test_random_fills_follow_the_seed():
    tr.manual_seed(3)
    a = tr.zeros(4).uniform_(-1, 1).numpy().copy()
    b = tr.zeros(4).normal_(0, 2).numpy().copy()
    tr.manual_seed(3)
    np.testing.assert_array_equal(tr.zeros(4).uniform_(-1, 1).numpy(), a)
    np.testing.assert_array_equal(tr.zeros(4).normal_(0, 2).numpy(), b)
    assert (a >= -1).all() and (a < 1).all()


def test_one_hot_filling_with_scatter_and_index_fill():
    ids = tr.tensor([[1], [0], [3]])
    one_hot = tr.zeros(3, 4).scatter_(1, ids, 1.0)
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(4)[[1, 0, 3]])
    filled = tr.zeros(2, 4).index_fill_(1, tr.tensor([0, 2]), -1.0)
    np.testing.assert_array_equal(filled.numpy(), [[-1, 0, -1, 0], [-1, 0, -1, 0]])


def test_scatter_and_gather_gradients():
    x, src = leaf(np.arange(12.0).reshape(3, 4) / 10), leaf(np.arange(6.0).reshape(3, 2) / 7)
    index = tr.tensor([[0, 3], [1, 2], [2, 0]])
    assert tr.gradcheck(lambda x, s: x.scatter(1, index, s), [x, src])
    assert tr.gradcheck(lambda x: x.gather(1, index), [x])


# ---- item assignment ------------------------------------------------------------------------------

def test_filling_an_output_buffer_step_by_step_backpropagates_to_every_step():
    h = leaf([0.5, -1.0, 2.0])
    w = leaf([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]])
    outputs = tr.zeros(4, 3, dtype=tr.float64)
    state = h
    for t in range(4):
        state = (w @ state).tanh()
        outputs[t] = state          # PyTorch's `y[t] = cell(...)`
    (outputs * outputs).sum().backward()
    grads = h.grad.numpy().copy(), w.grad.numpy().copy()
    h.grad = w.grad = None
    state, rows = h, []
    for _ in range(4):
        state = (w @ state).tanh()
        rows.append(state)
    (tr.stack(rows) ** 2).sum().backward()
    np.testing.assert_allclose(grads[0], h.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(grads[1], w.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("index, value_shape", [
    ((1,), (3,)),                               # a row
    ((slice(None), 1), ()),                     # a column from a 0-d value, broadcast
    (([0, 2],), (2, 3)),                        # integer-array (advanced) index
    ((np.array([True, False, True]),), (1, 3)),  # boolean mask, value broadcast over the rows
])
def test_item_assignment_sends_gradients_to_the_value_and_the_untouched_elements(index, value_shape):
    x, v = leaf(np.linspace(-1, 1, 9).reshape(3, 3)), leaf(np.linspace(0.5, 2, int(np.prod(value_shape))).reshape(
        value_shape))

    def assign(x, v):
        y = x * 1
        y[index if len(index) > 1 else index[0]] = v
        return y * y

    assert tr.gradcheck(assign, [x, v])


def test_item_assignment_matches_pytorch():
    torch = pytest.importorskip("torch")
    data = np.linspace(-1, 1, 12).reshape(3, 4)
    ours, theirs = leaf(data), torch.tensor(data, requires_grad=True)
    ov, tv = leaf([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64, requires_grad=True)
    for x, v in ((ours, ov), (theirs, tv)):
        y = x * 2
        y[1] = v * 3
        y[:, 0] = 0.0
        (y ** 3).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())
    np.testing.assert_allclose(ov.grad.numpy(), tv.grad.numpy())


def test_assigning_into_a_view_of_a_buffer_reaches_the_buffer():
    h = leaf([1.0, 2.0])
    buffer = tr.zeros(3, 2, dtype=tr.float64)
    row = buffer[1]
    row[0] = h[0] * 5
    (buffer.sum() * 2).backward()
    np.testing.assert_allclose(h.grad.numpy(), [10.0, 0.0])


# ---- numerics as PyTorch --------------------------------------------------------------------------

def test_gradient_of_x_to_the_power_zero_is_zero_even_at_zero():
    x = leaf([0.0, 1.0, -2.0])
    (x ** 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    x.grad = None
    (x ** 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, -4.0])


def test_integer_and_boolean_results_never_require_grad():
    x = leaf([0.5, 2.5])
    assert not x.long().requires_grad and not x.bool().requires_grad
    assert not (x > 1).requires_grad and not x.argmax().requires_grad
    assert x.max(dim=0).indices.grad_fn is None


# ---- memory ---------------------------------------------------------------------------------------

def test_after_backward_a_node_keeps_no_arrays_and_no_constant_inputs():
    x = tr.randn(4, 3)                         # data, no gradient
    w = tr.randn(3, 2, requires_grad=True)
    loss = ((x @ w).tanh() ** 2).mean()
    loss.backward()
    node = loss.grad_fn
    stack, seen = [node], set()
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        assert not any(tr.backend.is_array(v) for v in fn.__dict__.values())
        for producer, slot, _, _ in fn.inputs:
            if producer is not None:
                stack.append(producer)
            else:
                assert slot is w or not hasattr(slot, "array")  # a parameter, or a stand-in for x
    assert len(seen) == 4


def test_drawing_a_graph_leaves_no_reference_cycle():
    rnn = tr.nn.RNN(3, 4, impl="composite")
    out, _ = rnn(tr.randn(5, 2, 3))
    tr.viz.draw_graph(out, params=rnn)         # first call: imports and caches, once
    gc.collect()
    gc.disable()
    try:
        for options in ({}, {"collapse": True}, {"elide": 1}):
            tr.viz.draw_graph(out, params=rnn, **options)
            assert gc.collect() == 0
    finally:
        gc.enable()


def test_the_drawing_works_after_backward_freed_the_activations():
    rnn = tr.nn.RNN(3, 4, impl="composite")
    out, _ = rnn(tr.randn(5, 2, 3))
    loss = (out ** 2).mean()
    with tr.record_grad_norms():
        loss.backward()
    source = tr.viz.draw_graph(loss, params=rnn, grad_flow=True).source
    assert "weight_hh_l0" in source and "t=4" in source


def _traced(fn):
    """(value, bytes it still holds) of fn() under tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        value = fn()
        gc.collect()
        return value, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_holding_losses_after_backward_costs_a_sliver_of_one_steps_activations():
    lstm = tr.nn.LSTM(32, 128)
    x = tr.randn(50, 16, 32)

    def forward():
        out, _ = lstm(x)
        return (out ** 2).mean()

    forward().backward()                                     # warm-up: caches, first allocations
    loss, activations = _traced(forward)                     # what one step's forward keeps for backward
    loss.backward()

    def thirty_steps():
        held = []
        for _ in range(30):
            loss = forward()
            loss.backward()
            held.append(loss)                                # `losses.append(loss)`, as people do
            lstm.zero_grad()
        return held

    _, kept = _traced(thirty_steps)
    assert kept / 30 < 0.05 * activations, (kept / 30, activations)


def test_the_output_of_a_forward_under_no_grad_holds_nothing_more():
    lstm = tr.nn.LSTM(8, 16)
    x = tr.randn(40, 4, 8)
    with tr.no_grad():
        out, kept = _traced(lambda: lstm(x)[0])
    assert out.grad_fn is None
    assert kept < 1.1 * out.array.nbytes + 4096, (kept, out.array.nbytes)

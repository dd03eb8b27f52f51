"""The graph and the backward pass: order, accumulation, release, memory,
no_grad, detach, and the errors a user can cause."""

import gc
import threading
import tracemalloc
import weakref

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import backend
from tinygrad_rnn.autograd import Function


def test_chain_of_200000_ops_backpropagates_without_recursion_error():
    x = tr.tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(200_000):
        y = y + x
    y.backward()
    assert x.grad.item() == 200_001.0
    del y  # freeing the chain must not recurse either


def test_gradients_accumulate_across_backward_calls_until_zeroed(device):
    x = tr.tensor([1.0, 2.0], device=device, requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 7.0])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_second_backward_through_a_released_graph_is_a_clear_error(device):
    x = tr.tensor([1.0, 2.0], device=device, requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(tr.GraphError, match=r"backward: \w+ was already backpropagated and its saved arrays freed; "
                                            r"call backward\(retain_graph=True\) the first time"):
        loss.backward()


def test_retain_graph_allows_a_second_backward(device):
    x = tr.tensor([1.0, 2.0], device=device, requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


class SaveDouble(Function):
    """out = 2 x, saving a fresh array (2 x) that only this node holds."""

    def forward(self, x):
        self.save(x * 2)
        return x * 2

    def backward(self, g):
        return g * 2


def test_backward_releases_saved_arrays():
    x = tr.tensor(np.ones(3), requires_grad=True)
    y = SaveDouble.apply(x)
    saved = weakref.ref(y.grad_fn.saved[0])
    y.sum().backward()
    assert saved() is None


def test_retain_graph_keeps_saved_arrays():
    x = tr.tensor(np.ones(3), requires_grad=True)
    y = SaveDouble.apply(x)
    saved = weakref.ref(y.grad_fn.saved[0])
    y.sum().backward(retain_graph=True)
    assert saved() is not None


def _large_graph(x):
    h = x
    for step in range(20):
        with tr.scope(f"t={step}"):
            a, b = tr.split(h, 64, axis=1)
            h = tr.concat([(a * 1.01).tanh(), b.sigmoid()], axis=1) * x
            h.retain_grad()
    return h.sum()


def test_dropping_the_output_frees_the_graph_at_once_without_the_garbage_collector():
    x = tr.tensor(np.full((128, 128), 0.01), requires_grad=True)
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        loss = _large_graph(x)
        node = weakref.ref(loss.grad_fn)
        built = tracemalloc.get_traced_memory()[0]  # 128 KB per array
        del loss
        dropped = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        gc.enable()
    assert node() is None
    assert built - baseline > 5_000_000  # the graph held megabytes of arrays...
    assert dropped - baseline < 100_000  # ...all of them freed by reference counting alone


def test_dropping_the_output_after_backward_frees_the_graph_without_the_garbage_collector():
    x = tr.tensor(np.full((128, 128), 0.01), requires_grad=True)
    gc.collect()
    gc.disable()
    try:
        loss = _large_graph(x)
        loss.backward()
        node = weakref.ref(loss.grad_fn)
        del loss
        assert node() is None
    finally:
        gc.enable()


def test_no_grad_records_nothing(device):
    x = tr.ones(2, device=device, requires_grad=True)
    with tr.no_grad():
        y = (x * 2).exp()
        assert not tr.is_grad_enabled()
    assert tr.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(tr.GraphError, match=r"backward: this tensor does not require grad and has no graph"):
        y.sum().backward()


def test_no_grad_is_thread_local():
    x = tr.ones(2, requires_grad=True)
    inside, recorded = threading.Event(), []

    def other_thread():
        inside.wait()
        recorded.append((x * 2).grad_fn is not None)

    worker = threading.Thread(target=other_thread)
    worker.start()
    with tr.no_grad():
        inside.set()
        worker.join()
        assert (x * 2).grad_fn is None
    assert recorded == [True]


def test_enable_grad_inside_no_grad_records_again():
    x = tr.ones(2, requires_grad=True)
    with tr.no_grad(), tr.enable_grad():
        assert (x * 2).grad_fn is not None


def test_detach_cuts_the_graph(device):
    x = tr.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 2
    z = y.detach() * 3 + x
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_backward_on_non_scalar_without_grad_names_the_shape(device):
    y = tr.ones(2, 3, device=device, requires_grad=True) * 2
    with pytest.raises(tr.GraphError, match=r"backward: gradient can be omitted only for a one-element output, "
                                            r"got shape \(2, 3\); pass gradient="):
        y.backward()


def test_backward_with_a_grad_of_the_output_shape(device):
    x = tr.tensor([1.0, 2.0], device=device, requires_grad=True)
    (x * x).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 40.0])


def test_backward_with_a_grad_of_the_wrong_shape_names_both(device):
    y = tr.ones(2, 3, device=device, requires_grad=True) * 2
    with pytest.raises(tr.GraphError, match=r"backward: gradient has shape \(3,\) but the tensor has shape \(2, 3\)"):
        y.backward(np.ones(3))


def test_leaf_gradients_are_independent_writable_arrays(device):
    a = tr.ones(3, device=device, requires_grad=True)
    b = tr.ones(3, device=device, requires_grad=True)
    c = tr.ones(1, device=device, requires_grad=True)
    (a + b + c).sum().backward()  # Add hands the same array to both inputs; c's comes from a broadcast
    a.grad.data *= 5
    c.grad.data += 1
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(c.grad.numpy(), [4.0])


def test_leaf_gradient_has_the_leaf_dtype(device):
    x = tr.ones(2, device=device, requires_grad=True)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == np.float32


def test_input_modified_in_place_after_forward_is_detected(device):
    x = tr.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x * x).sum()
    x.data -= 1
    with pytest.raises(tr.GraphError, match=r"backward: input #0 of Mul \(shape \(2,\)\) was modified in place after "
                                            r"the forward pass \(version 0 -> 1\)"):
        y.backward()


def test_in_place_change_is_harmless_to_ops_that_do_not_read_inputs(device):
    x = tr.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x + 1).sum()
    x.data -= 1
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_only_leaves_that_require_grad_get_one(device):
    x = tr.ones(2, device=device, requires_grad=True)
    w = tr.ones(2, device=device)
    unused = tr.ones(2, device=device, requires_grad=True)
    (x * w).sum().backward()
    assert w.grad is None and unused.grad is None and x.grad is not None


def test_retain_grad_keeps_a_non_leaf_gradient(device):
    x = tr.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x * 2).retain_grad()
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [4.0, 8.0])


def test_scope_tags_nodes_with_nested_names(device):
    x = tr.ones(2, device=device, requires_grad=True)
    with tr.scope("LSTM layer 0"), tr.scope("t=3"):
        y = x * 2
        assert tr.current_scope() == ("LSTM layer 0", "t=3")
    assert tr.current_scope() == ()
    assert y.grad_fn.scope == ("LSTM layer 0", "t=3")
    assert repr(y.grad_fn) == "<Mul @ LSTM layer 0/t=3>"


def test_step_scopes_tag_each_iteration_and_restore_the_outer_scope(device):
    from tinygrad_rnn.autograd import step_scopes
    x = tr.ones(2, device=device, requires_grad=True)
    made = []
    with tr.scope("RNN layer 0 forward"):
        for t in step_scopes([2, 1, 0]):
            made.append(x * t)
        assert tr.current_scope() == ("RNN layer 0 forward",)
        with pytest.raises(ZeroDivisionError):
            for t in step_scopes(range(3)):
                1 / (t - 1)  # fails at t=1, inside the loop
        assert tr.current_scope() == ("RNN layer 0 forward",)
    assert [y.grad_fn.scope for y in made] == [("RNN layer 0 forward", f"t={t}") for t in (2, 1, 0)]
    assert tr.current_scope() == ()


def test_detect_anomaly_names_the_op_that_made_nan_in_forward(device):
    x = tr.tensor([-1.0], device=device, requires_grad=True)
    with tr.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError, match=r"detect_anomaly: Log produced NaN in its forward output #0"):
            x.log()


def test_detect_anomaly_names_where_a_backward_inf_was_created(device):
    x = tr.tensor([0.0], device=device, requires_grad=True)
    with tr.detect_anomaly(), np.errstate(divide="ignore"):
        y = x.sqrt()
        with pytest.raises(FloatingPointError, match=r"Sqrt produced inf in its backward gradient #0 .*"
                                                     r"created at .*test_autograd.py:\d+ \(y = x.sqrt\(\)\)"):
            y.sum().backward()


def test_record_grad_norms_stores_each_node_gradient_norm(device):
    x = tr.tensor([3.0, 4.0], device=device, requires_grad=True)
    y = x * 1
    with tr.record_grad_norms():
        (y * 1).backward(np.array([3.0, 4.0]))
    assert y.grad_fn.grad_norm == pytest.approx(5.0)


class TwoOutputs(Function):
    """(x + 1, x * 2): a multi-output op; backward gets None for an unused output."""

    def forward(self, x):
        return x + 1, x * 2

    def backward(self, g_plus, g_times):
        self.seen = (g_plus is None, g_times is None)
        return (0 if g_plus is None else g_plus) + (0 if g_times is None else 2 * g_times)


def test_multi_output_op_gets_none_for_an_output_without_gradient(device):
    x = tr.ones(2, device=device, requires_grad=True)
    plus, times = TwoOutputs.apply(x)
    times.sum().backward()
    assert times.grad_fn.seen == (True, False)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_op_on_tensors_from_two_devices_names_both_devices_and_the_op(monkeypatch):
    """There is no GPU here, so the CUDA array is an ndarray subclass reported as
    "cuda": apply sees two array types and raises, as it would for NumPy + CuPy."""

    class FakeCudaArray(np.ndarray):
        pass

    real_device_of = backend.device_of
    monkeypatch.setattr(backend, "device_of",
                        lambda a: "cuda" if isinstance(a, FakeCudaArray) else real_device_of(a))
    cpu = tr.ones(2, 3)
    cuda = tr.Tensor._make(np.ones((3, 2), dtype=np.float32).view(FakeCudaArray))
    assert cuda.device == "cuda"
    with pytest.raises(tr.DeviceError, match=r"MatMul: all inputs must be on the same device, got cpu, cuda "
                                             r"\(shape \(2, 3\) float32 on cpu, shape \(3, 2\) float32 on cuda\); "
                                             r"move them with .to\(device\) first"):
        cpu @ cuda
    with pytest.raises(tr.DeviceError, match=r"less: all inputs must be on the same device, got cpu, cuda"):
        _ = cpu < cuda.T


BAD_CALLS = {
    "matmul shapes": lambda: tr.ones(2, 3) @ tr.ones(2, 3),
    "broadcast": lambda: tr.ones(2) + tr.ones(3),
    "reshape": lambda: tr.ones(2, 3).reshape(5),
    "permute": lambda: tr.ones(2, 3).permute(0, 0),
    "index": lambda: tr.ones(2)[3],
    "axis": lambda: tr.ones(2).sum(axis=1),
    "concat": lambda: tr.concat([tr.ones(2), tr.ones(2, 2)]),
    "stack": lambda: tr.stack([tr.ones(2), tr.ones(3)]),
    "split": lambda: tr.split(tr.ones(4), [1, 1]),
    "operand": lambda: tr.ones(2) * None,
    "non-scalar backward": lambda: (tr.ones(2, requires_grad=True) * 2).backward(),
    "item": lambda: tr.ones(2).item(),
    "int requires grad": lambda: tr.tensor([1], requires_grad=True),
    "device": lambda: tr.ones(2, device="gpu"),
    "gradcheck float32": lambda: tr.gradcheck(lambda x: x * 2, [tr.ones(2, requires_grad=True)]),
}


@pytest.mark.parametrize("name", BAD_CALLS)
def test_user_errors_are_library_exceptions_never_bare_assertion_errors(name):
    with pytest.raises(Exception) as info:
        BAD_CALLS[name]()
    assert not isinstance(info.value, AssertionError)
    assert isinstance(info.value, (tr.OpError, tr.GraphError, tr.DeviceError)), repr(info.value)
    assert str(info.value)


def test_no_grad_works_as_a_decorator():
    x = tr.ones(2, requires_grad=True)

    @tr.no_grad()
    def double(t):
        return t * 2

    assert double(x).grad_fn is None
    assert (x * 2).grad_fn is not None

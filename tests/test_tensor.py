"""Tensor: construction, dtypes, devices, conversion, and the small methods."""

import numpy as np
import pytest

import tinygrad_rnn as tr


def test_python_floats_make_a_float32_tensor(device):
    t = tr.tensor([[1.0, 2.0]], device=device)
    assert t.dtype == np.float32 and t.shape == (1, 2) and t.device == device


def test_factories_default_to_float32(device):
    for t in (tr.zeros(2, 3, device=device), tr.ones((2, 3), device=device), tr.randn(2, 3, device=device),
              tr.rand(2, 3, device=device), tr.arange(0, 1, 0.25, device=device)):
        assert t.dtype == np.float32 and t.device == device


def test_float64_is_kept_from_arrays_and_on_request(device):
    assert tr.tensor(np.zeros(2), device=device).dtype == np.float64
    assert tr.tensor([1.0], dtype=tr.float64, device=device).dtype == np.float64
    assert tr.zeros(2, dtype=tr.float64, device=device).dtype == np.float64


def test_python_scalar_with_float32_tensor_keeps_float32(device):
    t = tr.ones(2, device=device)
    for out in (t + 1.5, 1.5 + t, t * 2, t / 3.0, 2.0 - t, t ** 2.0, 2.0 ** t):
        assert out.dtype == np.float32


def test_python_scalar_with_float64_tensor_keeps_float64(device):
    t = tr.ones(2, dtype=tr.float64, device=device)
    assert (t * 0.1).dtype == np.float64
    np.testing.assert_array_equal((t * 0.1).numpy(), np.full(2, 0.1))


def test_integer_tensors_stay_integer(device):
    t = tr.arange(4, device=device)
    assert t.dtype == np.int64
    assert (t + 1).dtype == np.int64


def test_only_floating_tensors_can_require_grad(device):
    with pytest.raises(tr.OpError, match=r"requires_grad: only floating-point tensors can require gradients, "
                                         r"got dtype int64"):
        tr.tensor([1, 2], requires_grad=True, device=device)


def test_numpy_returns_a_host_array(device):
    t = tr.tensor([1.0, 2.0], device=device)
    assert type(t.numpy()) is np.ndarray
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_item_and_tolist(device):
    assert tr.tensor([[3.5]], device=device).item() == 3.5
    assert tr.tensor([[1.0, 2.0]], device=device).tolist() == [[1.0, 2.0]]
    with pytest.raises(tr.OpError, match=r"item: only a tensor with one element .* got shape \(2,\)"):
        tr.ones(2, device=device).item()


def test_len_is_the_first_axis(device):
    assert len(tr.ones(3, 2, device=device)) == 3
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(tr.tensor(1.0, device=device))


def test_to_the_same_device_returns_the_tensor(device):
    t = tr.ones(2, device=device)
    assert t.to(device) is t


def test_to_moves_data_and_gradient_between_devices():
    if not tr.cuda_available():
        pytest.skip("cuda: needs a GPU to move between devices")
    x = tr.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("cuda")
    assert y.device == "cuda"
    (y * y).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_detach_shares_data_but_has_no_graph(device):
    x = tr.ones(2, device=device, requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_data_assignment_bumps_the_version(device):
    t = tr.ones(2, device=device)
    before = t._version
    t.data = t.data * 2
    t.data -= 1
    assert t._version == before + 2
    np.testing.assert_array_equal(t.numpy(), [1.0, 1.0])


def test_repr_shows_values_dtype_and_grad_fn(device):
    x = tr.tensor([1.0, 2.0], device=device, requires_grad=True)
    assert "requires_grad=True" in repr(x) and "float32" in repr(x)
    assert "grad_fn=<Mul>" in repr(x * 2)


def test_zero_grad_clears_grad(device):
    x = tr.ones(2, device=device, requires_grad=True)
    (x * 3).sum().backward()
    x.zero_grad()
    assert x.grad is None


def test_randn_follows_manual_seed(device):
    tr.manual_seed(5)
    first = tr.randn(3, device=device).numpy()
    tr.manual_seed(5)
    np.testing.assert_array_equal(tr.randn(3, device=device).numpy(), first)


def test_tensor_of_a_tensor_shares_nothing_of_the_graph(device):
    x = tr.ones(2, device=device, requires_grad=True)
    y = tr.tensor(x * 2)
    assert y.grad_fn is None and not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), [2.0, 2.0])


def test_unsupported_operand_is_an_op_error(device):
    with pytest.raises(tr.OpError, match=r"add: cannot use an input of type str; expected a Tensor, an array or a "):
        tr.ones(2, device=device) + "a"


def test_numpy_scalars_mix_like_python_numbers(device):
    t = tr.ones(2, device=device)
    assert (t * np.int64(2)).dtype == np.float32
    assert (t * np.float64(2)).dtype == np.float32
    assert (t + np.float32(2)).dtype == np.float32


def test_iterating_gives_the_rows_and_stops(device):
    x = tr.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    first, second = x
    np.testing.assert_array_equal(second.numpy(), [3.0, 4.0])
    (first * 2 + second).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 2.0], [1.0, 1.0]])
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(tr.tensor(1.0, device=device))


def test_one_element_tensor_converts_and_formats_as_a_number(device):
    loss = tr.tensor(2.5, device=device)
    assert float(loss) == 2.5 and int(loss) == 2
    assert f"{loss:.2f}" == "2.50"
    assert f"{tr.ones(2, device=device)}" == repr(tr.ones(2, device=device))
    with pytest.raises(tr.OpError, match=r"item: only a tensor with one element"):
        float(tr.ones(2, device=device))

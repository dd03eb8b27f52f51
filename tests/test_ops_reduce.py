"""sum, mean, max over all axes, one axis, a tuple of axes, with keepdims."""

import numpy as np
import pytest

import tinygrad_rnn as tr

AXES = [None, 0, -1, 1, (0, 2), (-1, 0), ()]
REDUCE = {
    "sum": (lambda x, **kw: x.sum(**kw), np.sum),
    "mean": (lambda x, **kw: x.mean(**kw), np.mean),
    "max": (lambda x, **kw: x.max(**kw), np.max),
}


@pytest.mark.parametrize("name", REDUCE)
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_forward_matches_numpy(device, leaf, name, axis, keepdims):
    op, reference = REDUCE[name]
    x = leaf(2, 3, 4)
    out = op(x, axis=axis, keepdims=keepdims)
    expected = reference(x.numpy(), axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("name", REDUCE)
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_gradients(device, leaf, name, axis, keepdims):
    op = REDUCE[name][0]
    assert tr.gradcheck(lambda x: op(x, axis=axis, keepdims=keepdims), [leaf(2, 3, 4)])


@pytest.mark.parametrize("name", REDUCE)
def test_reduction_of_a_0d_tensor(device, leaf, name):
    op, reference = REDUCE[name]
    x = leaf()
    np.testing.assert_allclose(op(x).numpy(), reference(x.numpy()))
    assert tr.gradcheck(op, [x])


def test_full_reduction_of_float32_is_a_float32_0d_tensor(device):
    out = tr.ones(2, 3, device=device).sum()
    assert out.shape == () and out.dtype == np.float32 and out.item() == 6.0


def test_max_gradient_goes_to_the_first_maximal_element_as_pytorch(device):
    x = tr.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], device=device, requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


def test_max_over_all_axes_splits_the_gradient_evenly_over_ties(device):
    x = tr.tensor([[5.0, 1.0], [5.0, 5.0]], device=device, requires_grad=True)
    x.max().backward()                     # PyTorch's max(): each of the k maximal elements gets 1/k
    np.testing.assert_allclose(x.grad.numpy(), [[1 / 3, 0.0], [1 / 3, 1 / 3]], rtol=1e-6)


def test_min_over_all_axes_splits_the_gradient_evenly_over_ties(device):
    x = tr.tensor([[1.0, 1.0], [5.0, 2.0]], device=device, requires_grad=True)
    x.min().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 0.5], [0.0, 0.0]])


def test_max_with_dim_gives_values_and_indices_and_the_gradient_goes_to_the_index(device):
    x = tr.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], device=device, requires_grad=True)
    values, indices = x.max(dim=1)
    assert indices.tolist() == [1, 0] and not indices.requires_grad
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


def test_max_over_an_axis_tuple_picks_one_element_per_slice(device):
    x = tr.tensor(np.ones((2, 2, 3)), device=device, requires_grad=True)
    x.max(axis=(0, 2)).sum().backward()
    expected = np.zeros((2, 2, 3))
    expected[0, :, 0] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_numpy_integer_axis_is_accepted(device):
    x = tr.ones(2, 3, device=device)
    assert x.sum(axis=np.int64(1)).shape == (2,)


@pytest.mark.parametrize("name", REDUCE)
def test_axis_out_of_range_names_the_op_and_the_axis(device, name):
    op = REDUCE[name][0]
    with pytest.raises(tr.OpError, match=rf"{name}: dim 3 is out of range for a tensor with 2 dimensions"):
        op(tr.ones(2, 3, device=device), axis=3)


def test_max_over_an_empty_axis_is_an_op_error(device):
    with pytest.raises(tr.OpError, match=r"max: cannot reduce over an empty axis \(shape \(2, 0\)"):
        tr.ones(2, 0, device=device).max(axis=1)


def test_mean_over_zero_elements_is_an_op_error(device):
    with pytest.raises(tr.OpError, match=r"mean: cannot average over zero elements"):
        tr.ones(0, 3, device=device).mean(axis=0)


def test_changing_the_input_after_max_is_harmless(device):
    x = tr.tensor([1.0, 3.0, 2.0], device=device, requires_grad=True)
    y = x.max()
    x.data -= 1
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])

"""reshape, transpose, T, getitem, concat, stack, split: each element's gradient
goes back to where the element came from."""

import numpy as np
import pytest

import tinygrad_rnn as tr


@pytest.mark.parametrize("shape", [(4, 6), (2, -1), (24,), (2, 3, 4)], ids=str)
def test_reshape_forward_and_gradient(device, leaf, shape):
    x = leaf(2, 12)
    np.testing.assert_array_equal(x.reshape(shape).numpy(), x.numpy().reshape(shape))
    assert tr.gradcheck(lambda x: x.reshape(shape), [x])


def test_reshape_accepts_separate_ints(device, leaf):
    assert leaf(2, 6).reshape(3, 4).shape == (3, 4)


def test_reshape_to_a_wrong_size_names_both_shapes(device):
    with pytest.raises(tr.OpError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) "
                                         r"into \(4, 2\)"):
        tr.ones(2, 3, device=device).reshape(4, 2)


@pytest.mark.parametrize("axes", [(0, 1, 2), (2, 0, 1), (1, 2, 0), (-1, 0, 1)], ids=str)
def test_permute_any_permutation(device, leaf, axes):
    x = leaf(2, 3, 4)
    np.testing.assert_array_equal(x.permute(axes).numpy(), x.numpy().transpose(axes))
    assert tr.gradcheck(lambda x: x.permute(*axes), [x])


def test_transpose_swaps_two_axes_as_pytorch(device, leaf):
    x = leaf(2, 3, 4)
    np.testing.assert_array_equal(x.transpose(0, 2).numpy(), x.numpy().swapaxes(0, 2))
    np.testing.assert_array_equal(x.transpose().numpy(), x.numpy().swapaxes(-1, -2))
    assert tr.gradcheck(lambda x: x.transpose(0, 2), [x])


def test_T_reverses_all_axes(device, leaf):
    x = leaf(2, 3, 4)
    np.testing.assert_array_equal(x.T.numpy(), x.numpy().T)
    assert tr.gradcheck(lambda x: x.T, [x])


@pytest.mark.parametrize("axes", [(0, 0, 1), (0, 1), (0, 1, 5)], ids=str)
def test_permute_that_is_not_a_permutation_is_an_op_error(device, axes):
    wrong = r"permute: (.* is not a permutation of the 3 dims of|dim 5 is out of range for) a tensor of shape "
    wrong += r"\(2, 3, 4\)"
    with pytest.raises(tr.OpError, match=wrong):
        tr.ones(2, 3, 4, device=device).permute(axes)


def test_transpose_axes_out_of_range_is_an_op_error(device):
    with pytest.raises(tr.OpError, match=r"transpose: dim 3 is out of range for a tensor of shape \(2, 3\)"):
        tr.ones(2, 3, device=device).transpose(0, 3)


INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, None),
    "negative step": slice(None, None, -2),
    "tuple of slices": (slice(None), slice(0, 2)),
    "negative indices": (-1, slice(-3, -1)),
    "ellipsis and newaxis": (Ellipsis, None, 1),
    "integer array": [2, 0],
    "repeated integers": [0, 0, 2, 0],
    "integer arrays in two axes": ([0, 2, 2], [1, 1, 3]),
    "array and slice": (slice(None), [3, 3, 0]),
}


def _numpy_index(index):
    """The same index for NumPy, which reads a list inside a tuple as an array only if told."""
    if isinstance(index, tuple):
        return tuple(np.asarray(i) if isinstance(i, list) else i for i in index)
    return np.asarray(index) if isinstance(index, list) else index


@pytest.mark.parametrize("name", INDICES)
def test_getitem_forward_matches_numpy(device, leaf, name):
    x = leaf(3, 4)
    index = INDICES[name]
    np.testing.assert_array_equal(x[index].numpy(), x.numpy()[_numpy_index(index)])


@pytest.mark.parametrize("name", INDICES)
def test_getitem_gradients(device, leaf, name):
    assert tr.gradcheck(lambda x: x[INDICES[name]], [leaf(3, 4)])


def test_getitem_repeated_indices_accumulate_gradient(device):
    x = tr.tensor([10.0, 20.0, 30.0], device=device, requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_getitem_with_integer_tensor_index(device):
    x = tr.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    x[tr.tensor([1, 1], device=device)].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0], [2.0, 2.0]])


def test_getitem_with_boolean_mask_tensor(device, leaf):
    x = leaf(3, 4)
    mask = x > 0
    np.testing.assert_array_equal(x[mask].numpy(), x.numpy()[x.numpy() > 0])
    x[mask].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (x.numpy() > 0).astype(float))
    assert tr.gradcheck(lambda x: x[mask], [x])


def test_getitem_with_boolean_list_selects_rows(device, leaf):
    x = leaf(3, 2)
    np.testing.assert_array_equal(x[[True, False, True]].numpy(), x.numpy()[[0, 2]])


def test_getitem_out_of_range_names_index_and_shape(device):
    with pytest.raises(tr.OpError, match=r"getitem: index 5 is invalid for a tensor of shape \(3, 4\)"):
        tr.ones(3, 4, device=device)[5]


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_forward_and_gradients(device, leaf, axis):
    a, b, c = leaf(2, 3), leaf(2, 3), leaf(2, 3)
    out = tr.concat([a, b, c], axis=axis)
    np.testing.assert_array_equal(out.numpy(), np.concatenate([a.numpy(), b.numpy(), c.numpy()], axis=axis))
    assert tr.gradcheck(lambda a, b, c: tr.concat([a, b, c], axis=axis), [a, b, c])


def test_concat_of_different_lengths_along_the_axis(device, leaf):
    a, b = leaf(1, 3), leaf(4, 3)
    assert tr.concat([a, b]).shape == (5, 3)
    assert tr.gradcheck(lambda a, b: tr.concat([a, b]), [a, b])


def test_concat_with_mismatched_shapes_is_an_op_error(device):
    expected = r"cat: tensor #1 has shape \(2, 4\), which differs from tensor #0's shape \(2, 3\)"
    with pytest.raises(tr.OpError, match=expected):
        tr.concat([tr.ones(2, 3, device=device), tr.ones(2, 4, device=device)])


def test_concat_of_nothing_is_an_op_error():
    with pytest.raises(tr.OpError, match=r"cat: expected a non-empty list of tensors"):
        tr.concat([])


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack_forward_and_gradients(device, leaf, axis):
    a, b = leaf(2, 3), leaf(2, 3)
    out = tr.stack([a, b], axis=axis)
    np.testing.assert_array_equal(out.numpy(), np.stack([a.numpy(), b.numpy()], axis=axis))
    assert tr.gradcheck(lambda a, b: tr.stack([a, b], axis=axis), [a, b])


def test_stack_of_different_shapes_is_an_op_error(device):
    with pytest.raises(tr.OpError, match=r"stack: expected tensors of one shape, got shapes \(2, 3\), \(3, 2\)"):
        tr.stack([tr.ones(2, 3, device=device), tr.ones(3, 2, device=device)])


@pytest.mark.parametrize("sizes, expected", [(2, [2, 2, 1]), ([1, 4], [1, 4]), (5, [5])], ids=str)
def test_split_pieces_as_pytorch(device, leaf, sizes, expected):
    x = leaf(5, 2)
    pieces = tr.split(x, sizes)
    assert [p.shape[0] for p in pieces] == expected
    np.testing.assert_array_equal(np.concatenate([p.numpy() for p in pieces]), x.numpy())
    assert tr.gradcheck(lambda x: tuple(tr.split(x, sizes)), [x])


def test_split_along_last_axis_as_method(device, leaf):
    x = leaf(2, 6)
    pieces = x.split(4, axis=-1)
    assert [p.shape for p in pieces] == [(2, 4), (2, 2)]
    assert tr.gradcheck(lambda x: tuple(x.split(4, axis=-1)), [x])


def test_split_piece_without_gradient_gets_zeros(device):
    x = tr.tensor(np.arange(6.0), device=device, requires_grad=True)
    first, _ = tr.split(x, 3)
    (first * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0, 0.0, 0.0, 0.0])


def test_split_sizes_that_do_not_add_up_are_an_op_error(device):
    with pytest.raises(tr.OpError, match=r"split: sizes \[2, 2\] add up to 4 but axis 0 of shape \(5,\) has 5"):
        tr.split(tr.ones(5, device=device), [2, 2])


def test_split_with_non_positive_size_is_an_op_error(device):
    with pytest.raises(tr.OpError, match=r"split: the piece size must be positive, got 0"):
        tr.split(tr.ones(5, device=device), 0)


def test_unsqueeze_squeeze_flatten(device, leaf):
    x = leaf(2, 3)
    assert x.unsqueeze(0).shape == (1, 2, 3) and x.unsqueeze(-1).shape == (2, 3, 1)
    assert x.unsqueeze(1).squeeze().shape == (2, 3) and x.unsqueeze(1).squeeze(1).shape == (2, 3)
    assert x.flatten().shape == (6,)


def test_split_axis_out_of_range_is_an_op_error(device):
    with pytest.raises(tr.OpError, match=r"split: dim 3 is out of range for a tensor of shape \(4,\)"):
        tr.split(tr.ones(4, device=device), 2, axis=3)


@pytest.mark.parametrize("axis", [3, -4])
def test_unsqueeze_axis_out_of_range_is_an_op_error(device, axis):
    with pytest.raises(tr.OpError, match=rf"unsqueeze: dim {axis} is out of range for a tensor of shape \(2, 3\) "
                                         r"\(expected -3 to 2\)"):
        tr.ones(2, 3, device=device).unsqueeze(axis)


def test_squeeze_axis_out_of_range_is_an_op_error(device):
    with pytest.raises(tr.OpError, match=r"squeeze: dim 4 is out of range for a tensor of shape \(2, 1\)"):
        tr.ones(2, 1, device=device).squeeze(4)


def test_getitem_with_empty_list_selects_nothing(device, leaf):
    x = leaf(3, 2)
    assert x[[]].shape == (0, 2)
    x[[]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 2)))


def test_getitem_with_host_integer_array(device, leaf):
    x = leaf(4, 2)
    index = np.array([3, 3, 1])
    np.testing.assert_array_equal(x[index].numpy(), x.numpy()[index])
    assert tr.gradcheck(lambda x: x[index], [x])


def test_getitem_with_0d_integer_tensor(device, leaf):
    x = leaf(3, 2)
    np.testing.assert_array_equal(x[tr.tensor(2, device=device)].numpy(), x.numpy()[2])

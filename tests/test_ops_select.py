"""where(cond, a, b) and the comparisons, which carry no gradient."""

import numpy as np
import pytest

import tinygrad_rnn as tr


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (4,)), ((2, 3), (), (2, 3))], ids=str)
def test_where_forward_and_gradients_with_broadcasting(device, leaf, shapes):
    cond_shape, a_shape, b_shape = shapes
    cond = tr.tensor(np.random.default_rng(1).random(cond_shape) > 0.5, device=device)
    a, b = leaf(*a_shape), leaf(*b_shape)
    expected = np.where(cond.numpy(), a.numpy(), b.numpy())
    np.testing.assert_array_equal(tr.where(cond, a, b).numpy(), expected)
    assert tr.gradcheck(lambda a, b: tr.where(cond, a, b), [a, b])


def test_where_gradient_goes_to_the_chosen_branch(device):
    a = tr.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    b = tr.tensor([4.0, 5.0, 6.0], device=device, requires_grad=True)
    tr.where(a > 1.5, a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 0.0, 0.0])


def test_where_with_a_number_branch_keeps_float32(device):
    a = tr.tensor([1.0, -2.0], device=device, requires_grad=True)
    out = tr.where(a > 0, a, 0.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [1.0, 0.0])


def test_where_with_two_numbers_gives_float32(device):
    out = tr.where(tr.tensor([True, False], device=device), 1.0, 2.0)
    assert out.dtype == np.float32 and out.device == device
    np.testing.assert_array_equal(out.numpy(), [1.0, 2.0])


COMPARISONS = {
    "<": (lambda a, b: a < b, np.less),
    "<=": (lambda a, b: a <= b, np.less_equal),
    ">": (lambda a, b: a > b, np.greater),
    ">=": (lambda a, b: a >= b, np.greater_equal),
    "==": (lambda a, b: a == b, np.equal),
    "!=": (lambda a, b: a != b, np.not_equal),
}


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparison_gives_boolean_tensor_without_gradient(device, name):
    op, reference = COMPARISONS[name]
    a = tr.tensor([[1.0, 2.0, 3.0]], device=device, requires_grad=True)
    b = tr.tensor([[2.0], [1.0]], device=device, requires_grad=True)
    out = op(a, b)
    np.testing.assert_array_equal(out.numpy(), reference(a.numpy(), b.numpy()))
    assert out.dtype == np.bool_
    assert not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparison_with_a_number(device, name):
    op, reference = COMPARISONS[name]
    a = tr.tensor([1.0, 2.0, 3.0], device=device)
    np.testing.assert_array_equal(op(a, 2.0).numpy(), reference(a.numpy(), 2.0))


def test_bool_of_a_many_element_tensor_is_ambiguous(device):
    with pytest.raises(tr.OpError, match=r"bool: the truth value of a tensor of shape \(2,\) is ambiguous"):
        bool(tr.ones(2, device=device) > 0)

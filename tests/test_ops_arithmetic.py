"""add, sub, mul, div, neg, pow: forward against NumPy, gradients by gradcheck in
float64, on equal shapes and on shapes that broadcast (the engine undoes it)."""

import numpy as np
import pytest

import tinygrad_rnn as tr

BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
}

# (shape of a, shape of b): equal, broadcast both ways, and against a 0-d tensor
SHAPES = [((2, 3), (2, 3)), ((3, 1, 4), (5, 4)), ((5, 4), (3, 1, 4)), ((3, 1, 4), ()), ((), (2, 3)), ((4,), (2, 1))]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_binary_op_forward_matches_numpy_with_broadcasting(device, leaf, name, shapes):
    op, reference = BINARY[name]
    a, b = leaf(*shapes[0], low=0.5), leaf(*shapes[1], low=0.5)
    out = op(a, b)
    np.testing.assert_allclose(out.numpy(), reference(a.numpy(), b.numpy()), rtol=1e-12)
    assert out.shape == np.broadcast_shapes(shapes[0], shapes[1])


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_binary_op_gradients_with_broadcasting(device, leaf, name, shapes):
    op = BINARY[name][0]
    a, b = leaf(*shapes[0], low=0.5), leaf(*shapes[1], low=0.5)
    assert tr.gradcheck(op, [a, b])


def test_broadcast_gradient_has_the_input_shape(device, leaf):
    a, b = leaf(3, 1, 4), leaf(5, 4)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1, 4) and b.grad.shape == (5, 4)
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(b.numpy().sum(0), (3, 1, 4)), rtol=1e-12)


@pytest.mark.parametrize("name", BINARY)
def test_python_scalar_on_either_side_matches_numpy(device, leaf, name):
    op, reference = BINARY[name]
    a = leaf(2, 3, low=0.5)
    np.testing.assert_allclose(op(a, 2.5).numpy(), reference(a.numpy(), 2.5), rtol=1e-12)
    np.testing.assert_allclose(op(2.5, a).numpy(), reference(2.5, a.numpy()), rtol=1e-12)
    assert tr.gradcheck(lambda a: op(a, 2.5), [a])
    assert tr.gradcheck(lambda a: op(2.5, a), [a])


def test_neg_forward_and_gradient(device, leaf):
    a = leaf(3, 2)
    np.testing.assert_array_equal((-a).numpy(), -a.numpy())
    assert tr.gradcheck(lambda a: -a, [a])


@pytest.mark.parametrize("exponent", [2, 3.0, -1.5, 0.5])
def test_pow_with_number_exponent(device, leaf, exponent):
    a = leaf(3, 4, low=0.5)
    np.testing.assert_allclose((a ** exponent).numpy(), a.numpy() ** exponent, rtol=1e-12)
    assert tr.gradcheck(lambda a: a ** exponent, [a])


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1, 4), (5, 4)), ((3, 1, 4), ())], ids=str)
def test_pow_with_tensor_exponent_gradients_to_base_and_exponent(device, leaf, shapes):
    base, exponent = leaf(*shapes[0], low=0.5), leaf(*shapes[1])
    np.testing.assert_allclose((base ** exponent).numpy(), base.numpy() ** exponent.numpy(), rtol=1e-12)
    assert tr.gradcheck(lambda a, b: a ** b, [base, exponent])


def test_number_to_the_power_of_tensor(device, leaf):
    x = leaf(2, 3)
    np.testing.assert_allclose((2.0 ** x).numpy(), 2.0 ** x.numpy(), rtol=1e-12)
    assert tr.gradcheck(lambda x: 2.0 ** x, [x])


def test_pow_exponent_gradient_is_zero_where_base_is_not_positive(device):
    base = tr.tensor([-2.0, 0.0, 3.0], device=device)
    exponent = tr.tensor([2.0, 2.0, 2.0], requires_grad=True, device=device)
    (base ** exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad.numpy(), [0.0, 0.0, 9 * np.log(3)], rtol=1e-6)


def test_same_tensor_on_both_sides_sums_both_gradients(device, leaf):
    a = leaf(4)
    (a * a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * a.numpy(), rtol=1e-12)


@pytest.mark.parametrize("detached", ["left", "right"])
def test_mul_of_a_tensor_and_its_detached_self_gives_only_one_gradient(device, leaf, detached):
    a = leaf(4)
    out = a.detach() * a if detached == "left" else a * a.detach()
    out.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), a.numpy(), rtol=1e-12)


def test_mul_computes_no_gradient_for_an_input_that_needs_none(device):
    a = tr.randn(3, device=device, requires_grad=True)
    out = a * tr.randn(3, device=device)
    grads = out.grad_fn.backward(tr.ones(3, device=device).array)
    assert grads[0] is not None and grads[1] is None


def test_incompatible_shapes_raise_op_error_naming_op_and_shapes(device):
    a, b = tr.ones(2, 3, device=device), tr.ones(4, 5, device=device)
    with pytest.raises(tr.OpError, match=rf"Add: .*shape \(2, 3\) float32 on {device}, shape \(4, 5\)"):
        a + b


def test_numpy_array_on_the_left_defers_to_the_tensor(device):
    a = tr.ones(3, device=device)
    out = np.full(3, 2.0, dtype=np.float32) + a if device == "cpu" else 2.0 + a
    assert isinstance(out, tr.Tensor)
    np.testing.assert_array_equal(out.numpy(), [3.0, 3.0, 3.0])

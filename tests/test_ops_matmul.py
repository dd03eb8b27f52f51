"""matmul with NumPy's rules: 1-D, 2-D and batched operands with broadcasting."""

import re

import numpy as np
import pytest

import tinygrad_rnn as tr

CASES = [
    ((4,), (4,)),            # dot product -> 0-d
    ((4,), (4, 3)),          # vector @ matrix
    ((2, 4), (4,)),          # matrix @ vector
    ((2, 4), (4, 3)),        # matrix @ matrix
    ((5, 2, 4), (4, 3)),     # batch @ matrix
    ((2, 4), (5, 4, 3)),     # matrix @ batch
    ((2, 1, 3, 4), (5, 4, 2)),  # batch dims broadcast (2, 1) with (5,)
    ((4,), (5, 4, 3)),       # vector @ batch
    ((5, 2, 4), (4,)),       # batch @ vector
]


@pytest.mark.parametrize("shapes", CASES, ids=str)
def test_matmul_forward_matches_numpy(device, leaf, shapes):
    a, b = leaf(*shapes[0]), leaf(*shapes[1])
    out = a @ b
    expected = a.numpy() @ b.numpy()
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("shapes", CASES, ids=str)
def test_matmul_gradients(device, leaf, shapes):
    a, b = leaf(*shapes[0]), leaf(*shapes[1])
    assert tr.gradcheck(lambda a, b: a @ b, [a, b])


def test_matmul_gradient_only_to_the_operand_that_needs_it(device, leaf):
    a = leaf(2, 4)
    b = tr.tensor(np.ones((4, 3)), dtype=tr.float64, device=device)
    (a @ b).sum().backward()
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), np.full((2, 4), 3.0))


def test_matmul_with_numpy_matrix_on_the_right(device, leaf):
    a = leaf(2, 4)
    w = np.arange(12.0).reshape(4, 3)
    out = a @ tr.tensor(w, device=device)
    np.testing.assert_allclose(out.numpy(), a.numpy() @ w, rtol=1e-12)


@pytest.mark.parametrize("shapes, which", [(((2, 3), (4, 5)), "second-to-last"), (((2, 3), (4,)), "only")], ids=str)
def test_matmul_misaligned_shapes_name_both_shapes(device, shapes, which):
    a, b = tr.ones(*shapes[0], device=device), tr.ones(*shapes[1], device=device)
    expected = re.escape(f"matmul: shapes (2, 3) and {shapes[1]} do not align") + f".*the {which} axis"
    with pytest.raises(tr.OpError, match=expected):
        a @ b


def test_matmul_of_a_0d_tensor_is_an_op_error(device):
    with pytest.raises(tr.OpError, match=r"matmul: operands must have at least one axis"):
        tr.tensor(2.0, device=device) @ tr.ones(3, device=device)


def test_matmul_batch_dims_that_do_not_broadcast_raise_op_error(device):
    with pytest.raises(tr.OpError, match=r"MatMul: .*shape \(2, 3, 4\).*shape \(5, 4, 2\)"):
        tr.ones(2, 3, 4, device=device) @ tr.ones(5, 4, 2, device=device)

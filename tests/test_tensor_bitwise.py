"""& | ^ ~ on bool and integer tensors as PyTorch's (Python operands on either side, broadcasting);
float operands refused with a named error."""

import operator

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.errors import OpError

torch = pytest.importorskip("torch")

A_BOOL, B_BOOL = [[True, False, True]], [[True], [False]]
A_INT, B_INT = [[5, -3, 12]], [[6], [1]]


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor])
@pytest.mark.parametrize("a,b", [(A_BOOL, B_BOOL), (A_INT, B_INT)])
def test_binary_operators_match_pytorch(device, op, a, b):
    ours = op(tr.tensor(a, device=device), tr.tensor(b, device=device))
    theirs = op(torch.tensor(a), torch.tensor(b))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    scalar = True if isinstance(a[0][0], bool) else 3
    np.testing.assert_array_equal(op(scalar, tr.tensor(a, device=device)).numpy(), op(scalar, torch.tensor(a)).numpy())
    np.testing.assert_array_equal(op(tr.tensor(a, device=device), scalar).numpy(), op(torch.tensor(a), scalar).numpy())


@pytest.mark.parametrize("a", [A_BOOL, A_INT])
def test_invert_matches_pytorch(device, a):
    np.testing.assert_array_equal((~tr.tensor(a, device=device)).numpy(), (~torch.tensor(a)).numpy())


def test_masks_combine_as_in_programs():
    x = tr.tensor([-2.0, -0.5, 0.5, 2.0], requires_grad=True)
    mask = (x > -1) & ~(x > 1)
    assert mask.tolist() == [False, True, True, False] and not mask.requires_grad


def test_float_operands_are_refused():
    with pytest.raises(OpError, match="bitwise_or: needs bool or integer operands, got float32 and bool"):
        tr.tensor([1.0]) | tr.tensor([True])
    with pytest.raises(OpError, match=r"bitwise_not \(~\): needs a bool or integer tensor, got float64"):
        ~tr.tensor([1.0], dtype=tr.float64)
    with pytest.raises(OpError, match=r"bitwise_and: shapes \(2,\) and \(3,\) do not broadcast together"):
        tr.tensor([True, False]) & tr.tensor([True, False, True])

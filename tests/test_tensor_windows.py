"""x.unfold(dimension, size, step): the windows and their gradient (overlaps add) against
PyTorch's and central differences, on every device; bad sizes and steps are named errors."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.errors import ArgumentTypeError, OpError

torch = pytest.importorskip("torch")

CASES = [((11,), 0, 3, 1), ((3, 11, 2), 1, 4, 2), ((4, 5), -1, 1, 1), ((3, 7), 1, 7, 3), ((6, 2), 0, 2, 4)]


@pytest.mark.parametrize("shape,dim,size,step", CASES)
def test_unfold_matches_pytorch_values_and_gradient(device, shape, dim, size, step):
    data = np.random.default_rng(1).standard_normal(shape)
    ours = tr.tensor(data, device=device, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    out, expected = ours.unfold(dim, size, step), theirs.unfold(dim, size, step)
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    weights = np.random.default_rng(2).standard_normal(tuple(expected.shape))
    (out * tr.tensor(weights, device=device)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert tr.gradcheck(lambda x: x.unfold(dim, size, step), (ours,))


def test_unfold_of_a_scalar_is_one_window():
    assert tr.tensor(3.0).unfold(0, 1, 1).tolist() == torch.tensor(3.0).unfold(0, 1, 1).tolist()


def test_unfold_bad_arguments_are_named():
    x = tr.zeros(3, 5)
    with pytest.raises(OpError, match=r"unfold: size 6 does not fit dimension 1 of shape \(3, 5\) \(at most 5\)"):
        x.unfold(1, 6, 1)
    with pytest.raises(OpError, match="unfold: step must be positive, got 0"):
        x.unfold(1, 2, 0)
    with pytest.raises(ArgumentTypeError, match="unfold: size must be an int"):
        x.unfold(1, 2.0, 1)

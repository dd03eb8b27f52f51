"""tr.einsum: values and gradients against PyTorch's and central differences in float64, on every
device, for the forms attention and RNN code writes; bad equations are named errors."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.errors import OpError

torch = pytest.importorskip("torch")

CASES = [
    ("btd,d->bt", [(2, 3, 4), (4,)]),                      # attention scores against a query vector
    ("bt,btd->bd", [(2, 3), (2, 3, 4)]),                   # weighted sum over time
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),      # multi-head scores
    ("ij,jk", [(3, 4), (4, 5)]),                           # implicit output: "ik"
    ("ij->", [(3, 4)]),
    ("ij->ji", [(3, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,kl->i", [(2, 3), (4, 5)]),                        # letters summed in one operand alone
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),      # broadcast batch dimensions
    ("b...,b->...", [(2, 3, 4), (2,)]),
    ("bij, bjk -> bik", [(2, 3, 4), (2, 4, 2)]),            # spaces allowed
]


@pytest.mark.parametrize("equation,shapes", CASES, ids=[c[0] for c in CASES])
def test_einsum_matches_pytorch(device, equation, shapes):
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [tr.tensor(a, device=device, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = tr.einsum(equation, *ours), torch.einsum(equation, *theirs)
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = rng.standard_normal(tuple(expected.shape))
    (out * tr.tensor(weights, device=device)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert tr.gradcheck(lambda *xs: tr.einsum(equation, *xs), tuple(ours))


def test_operands_as_a_list_and_only_some_needing_grad():
    a = tr.tensor(np.ones((2, 3)), requires_grad=True)
    b = tr.tensor(np.arange(3.0))
    out = tr.einsum("ij,j->i", [a, b])
    out.sum().backward()
    assert out.tolist() == [3.0, 3.0] and a.grad.tolist() == [[0.0, 1.0, 2.0]] * 2 and b.grad is None


@pytest.mark.parametrize("equation,shapes,message", [
    ("ij,jk->ik", [(2, 3)], r"einsum: the equation 'ij,jk->ik' names 2 operands but 1 were given"),
    ("ii->i", [(3, 3)], r"einsum: repeated subscripts in one operand \('ii'\) are not supported"),
    ("ijk", [(2, 3)], r"einsum"),
    ("ij->iz", [(2, 3)], r"einsum: the output subscripts 'iz' must be distinct letters of the inputs"),
    ("i1", [(2, 3)], r"einsum: subscripts must be lowercase letters \(and '...'\), got 'i1'"),
    ("ij,jk->ik", [(2, 3), (4, 2)], r"(?i)einsum: .*shape \(2, 3\).*shape \(4, 2\)"),
])
def test_bad_equations_are_named(equation, shapes, message):
    with pytest.raises(OpError, match=message):
        tr.einsum(equation, *[tr.zeros(*s) for s in shapes])


def test_mixed_dtypes_and_non_tensors_are_refused():
    with pytest.raises(OpError, match="einsum: the operands must share one dtype, got float32, float64"):
        tr.einsum("i,i->", tr.zeros(2), tr.zeros(2, dtype=tr.float64))
    with pytest.raises(OpError, match="einsum: operand #1 is a list, expected a Tensor"):
        tr.einsum("i,i->", tr.zeros(2), [1.0, 2.0])

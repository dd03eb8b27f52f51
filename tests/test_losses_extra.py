"""binary_cross_entropy (BCELoss), smooth_l1_loss (SmoothL1Loss), huber_loss (HuberLoss): values
and gradients against PyTorch's, central differences in float64, every reduction and device."""

import numpy as np
import pytest

import tinygrad_rnn as tr
import tinygrad_rnn.nn as nn
import tinygrad_rnn.nn.functional as F
from tinygrad_rnn.errors import OpError

torch = pytest.importorskip("torch")
tF = torch.nn.functional

RNG = np.random.default_rng(4)
X = RNG.standard_normal((3, 5)) * 2
Y = RNG.standard_normal((3, 5)) * 2
P = RNG.uniform(0.05, 0.95, (3, 5))
T = RNG.uniform(0, 1, (3, 5))
W = RNG.uniform(0.5, 2, (5,))

CASES = [
    ("bce", lambda f, x, y, r: f.binary_cross_entropy(x, y, reduction=r), P, T),
    ("bce_weight", lambda f, x, y, r: f.binary_cross_entropy(x, y, weight=_like(x, W), reduction=r), P, T),
    ("smooth_l1", lambda f, x, y, r: f.smooth_l1_loss(x, y, reduction=r), X, Y),
    ("smooth_l1_beta", lambda f, x, y, r: f.smooth_l1_loss(x, y, reduction=r, beta=0.4), X, Y),
    ("smooth_l1_beta0", lambda f, x, y, r: f.smooth_l1_loss(x, y, reduction=r, beta=0.0), X, Y),
    ("huber", lambda f, x, y, r: f.huber_loss(x, y, reduction=r), X, Y),
    ("huber_delta", lambda f, x, y, r: f.huber_loss(x, y, reduction=r, delta=2.5), X, Y),
]


def _like(x, values):
    return tr.tensor(values, device=x.device) if isinstance(x, tr.Tensor) else torch.tensor(values)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,loss,x,y", CASES, ids=[c[0] for c in CASES])
def test_loss_matches_pytorch(device, name, loss, x, y, reduction):
    ours = tr.tensor(x, device=device, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = loss(F, ours, tr.tensor(y, device=device), reduction)
    expected = loss(tF, theirs, torch.tensor(y), reduction)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert tr.gradcheck(lambda a: loss(F, a, tr.tensor(y, device=device), reduction), (ours,))


@pytest.mark.parametrize("ours,theirs", [(nn.BCELoss, torch.nn.BCELoss), (nn.SmoothL1Loss, torch.nn.SmoothL1Loss),
                                         (nn.HuberLoss, torch.nn.HuberLoss)])
def test_modules_match_pytorch(ours, theirs):
    assert nn.modules.loss.BCELoss is nn.BCELoss
    got = ours(reduction="sum")(tr.tensor(P), tr.tensor(T)).item()
    assert got == pytest.approx(theirs(reduction="sum")(torch.tensor(P), torch.tensor(T)).item(), rel=1e-12)


@pytest.mark.filterwarnings("error")  # and no RuntimeWarning from log(0)
def test_bce_at_zero_and_one_is_finite_as_pytorch():
    x, y = np.array([0.0, 1.0, 0.0, 1.0, 0.3]), np.array([0.0, 1.0, 1.0, 0.0, 0.5])
    ours, theirs = tr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got = F.binary_cross_entropy(ours, tr.tensor(y), reduction="none")
    expected = tF.binary_cross_entropy(theirs, torch.tensor(y), reduction="none")
    np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=1e-15)
    got.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_bce_target_gradient_matches_pytorch():
    ours, theirs = tr.tensor(T, requires_grad=True), torch.tensor(T, requires_grad=True)
    F.binary_cross_entropy(tr.tensor(P), ours).backward()
    tF.binary_cross_entropy(torch.tensor(P), theirs).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    assert tr.gradcheck(lambda t: F.binary_cross_entropy(tr.tensor(P), t), (ours,))


def test_bad_inputs_are_named():
    with pytest.raises(OpError, match=r"binary_cross_entropy: every element of input must be a probability in "
                                      r"\[0, 1\] .*binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(tr.tensor([0.5, 1.5]), tr.tensor([0.0, 1.0]))
    with pytest.raises(OpError, match=r"binary_cross_entropy: input has shape \(2,\) but target has shape \(1,\)"):
        F.binary_cross_entropy(tr.tensor([0.5, 0.5]), tr.tensor([1.0]))
    with pytest.raises(OpError, match="huber_loss: delta must be positive, got 0"):
        F.huber_loss(tr.tensor([1.0]), tr.tensor([1.0]), delta=0)
    with pytest.raises(OpError, match="smooth_l1_loss: beta must be non-negative, got -1"):
        F.smooth_l1_loss(tr.tensor([1.0]), tr.tensor([1.0]), beta=-1)
    with pytest.raises(OpError, match="smooth_l1_loss: target has dtype int64"):
        F.smooth_l1_loss(tr.tensor([1.0]), tr.tensor([1]))

"""Losses: values and gradients against PyTorch, gradchecks, stability, errors."""

import numpy as np
import pytest

import tinygrad_rnn as tr
import tinygrad_rnn.nn.functional as F
from tinygrad_rnn import nn


def host(shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def leaf(array, device="cpu"):
    return tr.tensor(array, dtype=tr.float64, device=device, requires_grad=True)


def torch_leaf(torch, array):
    return torch.tensor(array, dtype=torch.float64, requires_grad=True)


def assert_parity(ours, theirs, x, tx):
    """Same loss and same gradient w.r.t. x as PyTorch."""
    ours.sum().backward() if ours.ndim else ours.backward()
    theirs.sum().backward()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)


# ---- regression losses ------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_regression_loss_matches_pytorch(name, reduction):
    torch = pytest.importorskip("torch")
    a, b = host((4, 3), 1), host((4, 3), 2)
    x, tx = leaf(a), torch_leaf(torch, a)
    ours = getattr(F, name)(x, tr.tensor(b, dtype=tr.float64), reduction=reduction)
    theirs = getattr(torch.nn.functional, name)(tx, torch.tensor(b), reduction=reduction)
    assert_parity(ours, theirs, x, tx)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_regression_loss_gradcheck_input_and_target(name, device):
    x, y = leaf(host((3, 2), 1), device), leaf(host((3, 2), 2), device)
    assert tr.gradcheck(lambda x, y: getattr(F, name)(x, y), [x, y])


def test_mse_loss_refuses_different_shapes():
    with pytest.raises(tr.OpError, match=r"mse_loss: input has shape \(3, 1\) but target has shape \(3,\)"):
        F.mse_loss(tr.zeros(3, 1), tr.zeros(3))


def test_unknown_reduction_is_refused():
    with pytest.raises(tr.OpError, match="reduction must be one of"):
        F.l1_loss(tr.zeros(3), tr.zeros(3), reduction="avg")


# ---- cross-entropy and nll ------------------------------------------------------------

CE_CASES = [
    dict(),
    dict(reduction="sum"),
    dict(reduction="none"),
    dict(label_smoothing=0.2),
    dict(label_smoothing=0.2, reduction="none"),
    dict(weight=[0.5, 2.0, 1.0, 3.0]),
    dict(weight=[0.5, 2.0, 1.0, 3.0], label_smoothing=0.1),
    dict(weight=[0.5, 2.0, 1.0, 3.0], label_smoothing=0.1, reduction="sum"),
]


@pytest.mark.parametrize("kwargs", CE_CASES, ids=str)
@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 3), (2, 4, 2, 3)], ids=str)
def test_cross_entropy_matches_pytorch(shape, kwargs):
    torch = pytest.importorskip("torch")
    logits = host(shape, 3)
    target_shape = (shape[0],) + shape[2:]
    target = np.random.default_rng(4).integers(0, 4, size=target_shape)
    target.reshape(-1)[::3] = -100  # some ignored positions
    x, tx = leaf(logits), torch_leaf(torch, logits)
    kw_t = dict(kwargs)
    if "weight" in kw_t:
        kw_t["weight"] = torch.tensor(kw_t["weight"], dtype=torch.float64)
    ours = F.cross_entropy(x, tr.tensor(target), **kwargs)
    theirs = torch.nn.functional.cross_entropy(tx, torch.tensor(target), **kw_t)
    assert_parity(ours, theirs, x, tx)


def test_cross_entropy_custom_ignore_index_matches_pytorch():
    torch = pytest.importorskip("torch")
    logits, target = host((4, 3), 5), np.array([2, 1, 2, 0])
    x, tx = leaf(logits), torch_leaf(torch, logits)
    ours = F.cross_entropy(x, tr.tensor(target), ignore_index=2)
    theirs = torch.nn.functional.cross_entropy(tx, torch.tensor(target), ignore_index=2)
    assert_parity(ours, theirs, x, tx)


def test_cross_entropy_unbatched_matches_pytorch():
    torch = pytest.importorskip("torch")
    logits = host((5,), 6)
    x, tx = leaf(logits), torch_leaf(torch, logits)
    assert_parity(F.cross_entropy(x, tr.tensor(np.array(3))), torch.nn.functional.cross_entropy(tx, torch.tensor(3)),
                  x, tx)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
def test_cross_entropy_with_class_probabilities_matches_pytorch(label_smoothing):
    torch = pytest.importorskip("torch")
    logits = host((3, 4, 2), 7)
    probs = np.random.default_rng(8).dirichlet(np.ones(4), size=(3, 2)).transpose(0, 2, 1)
    weight = [1.0, 2.0, 0.5, 1.5]
    x, tx = leaf(logits), torch_leaf(torch, logits)
    ours = F.cross_entropy(x, tr.tensor(probs, dtype=tr.float64), weight=weight, label_smoothing=label_smoothing)
    theirs = torch.nn.functional.cross_entropy(tx, torch.tensor(probs), label_smoothing=label_smoothing,
                                               weight=torch.tensor(weight, dtype=torch.float64))
    assert_parity(ours, theirs, x, tx)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_matches_pytorch(reduction):
    torch = pytest.importorskip("torch")
    scores, target = host((4, 3, 2), 9), np.array([[0, 2], [1, -100], [2, 2], [0, 1]])
    weight = [0.2, 1.0, 3.0]
    x, tx = leaf(scores), torch_leaf(torch, scores)
    ours = F.nll_loss(x, tr.tensor(target), weight=weight, reduction=reduction)
    theirs = torch.nn.functional.nll_loss(tx, torch.tensor(target), weight=torch.tensor(weight, dtype=torch.float64),
                                          reduction=reduction)
    assert_parity(ours, theirs, x, tx)


def test_cross_entropy_all_ignored_mean_is_nan_with_zero_gradient():
    # PyTorch 2.13: 0 / 0 over the non-ignored targets gives nan, and the gradient is zero
    x = leaf(host((3, 4), 1))
    loss = F.cross_entropy(x, tr.tensor(np.array([-100, -100, -100])), label_smoothing=0.1)
    loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))


def test_cross_entropy_all_ignored_sum_is_zero():
    x = leaf(host((3, 4), 1))
    assert F.cross_entropy(x, tr.tensor(np.array([-100, -100, -100])), reduction="sum").item() == 0.0


@pytest.mark.parametrize("kwargs", [dict(), dict(label_smoothing=0.2, weight=[1.0, 2.0, 0.5]),
                                    dict(reduction="none", ignore_index=1)], ids=str)
def test_cross_entropy_gradcheck(kwargs, device):
    x = leaf(host((2, 3, 2), 2), device)
    target = tr.tensor(np.array([[0, 1], [2, 1]]), device=device)
    assert tr.gradcheck(lambda x: F.cross_entropy(x, target, **kwargs), [x])


def test_cross_entropy_probability_target_gradcheck_both_inputs(device):
    x, p = leaf(host((3, 4), 2), device), leaf(np.abs(host((3, 4), 3)), device)
    assert tr.gradcheck(lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1), [x, p])


def test_nll_loss_gradcheck(device):
    x = leaf(host((4, 3), 2), device)
    target = tr.tensor(np.array([0, 2, -100, 1]), device=device)
    assert tr.gradcheck(lambda x: F.nll_loss(x, target, weight=[1.0, 0.5, 2.0]), [x])


def test_cross_entropy_is_finite_for_huge_logits():
    x = leaf(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]]))
    loss = F.cross_entropy(x, tr.tensor(np.array([1, 1])), label_smoothing=0.1)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    # row 0: nll 2e4, smoothing term 3e4; row 1: nll ~0, smoothing term 2e4 + 1e4 - 3
    expected = ((0.9 * 2e4 + 0.1 / 3 * 3e4) + (0.1 / 3 * (3e4 - 3))) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_rejects_out_of_range_target():
    with pytest.raises(tr.OpError, match=r"cross_entropy: target 7 is out of bounds for 3 classes"):
        F.cross_entropy(tr.zeros(2, 3), tr.tensor(np.array([0, 7])))


def test_cross_entropy_rejects_wrong_target_shape():
    with pytest.raises(tr.OpError, match=r"class-index target must have shape \(2, 5\), got \(2,\)"):
        F.cross_entropy(tr.zeros(2, 3, 5), tr.tensor(np.array([0, 1])))


def test_cross_entropy_rejects_float_target_of_other_shape():
    with pytest.raises(tr.OpError, match="input has shape"):
        F.cross_entropy(tr.zeros(2, 3), tr.zeros(2))


# ---- binary cross-entropy on logits ------------------------------------------------

@pytest.mark.parametrize("kwargs", [dict(), dict(reduction="sum"), dict(reduction="none"),
                                    dict(weight=[0.5, 1.0, 2.0]), dict(pos_weight=[3.0, 1.0, 0.5])], ids=str)
def test_bce_with_logits_matches_pytorch(kwargs):
    torch = pytest.importorskip("torch")
    logits, target = host((4, 3), 1, scale=3.0), np.random.default_rng(2).random((4, 3))
    logits[0, 0] = 0.0  # the kink of max(x, 0) must not bend the gradient
    x, tx = leaf(logits), torch_leaf(torch, logits)
    kw_t = {k: (torch.tensor(v, dtype=torch.float64) if isinstance(v, list) else v) for k, v in kwargs.items()}
    ours = F.binary_cross_entropy_with_logits(x, tr.tensor(target, dtype=tr.float64), **kwargs)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(tx, torch.tensor(target), **kw_t)
    assert_parity(ours, theirs, x, tx)


def test_bce_with_logits_gradcheck_logits_and_targets(device):
    x = leaf(host((3, 2), 1, scale=3.0), device)
    y = leaf(np.random.default_rng(2).random((3, 2)), device)
    assert tr.gradcheck(lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=[2.0, 0.5]), [x, y])


def test_bce_with_logits_is_finite_and_exact_for_huge_logits():
    x = leaf(np.array([1e4, -1e4, 1e4, -1e4]))
    loss = F.binary_cross_entropy_with_logits(x, tr.tensor(np.array([1.0, 0.0, 0.0, 1.0])), reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0, 1e4, 1e4])
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1.0, -1.0])


def test_logsigmoid_gradcheck(device):
    x = leaf(host((5,), 3, scale=5.0), device)
    assert tr.gradcheck(F.logsigmoid, [x])


# ---- modules ---------------------------------------------------------------------

def test_loss_modules_match_functional_forms():
    x, y = tr.randn(4, 3, dtype=tr.float64), tr.randn(4, 3, dtype=tr.float64)
    target = tr.tensor(np.array([0, 2, 1, -100]))
    assert nn.MSELoss(reduction="sum")(x, y).item() == F.mse_loss(x, y, reduction="sum").item()
    assert nn.L1Loss()(x, y).item() == F.l1_loss(x, y).item()
    assert nn.CrossEntropyLoss(label_smoothing=0.1)(x, target).item() == \
        F.cross_entropy(x, target, label_smoothing=0.1).item()
    assert nn.NLLLoss()(x, target).item() == F.nll_loss(x, target).item()
    assert nn.BCEWithLogitsLoss()(x, y.sigmoid()).item() == F.binary_cross_entropy_with_logits(x, y.sigmoid()).item()


def test_loss_module_rejects_bad_reduction():
    with pytest.raises(tr.OpError, match="CrossEntropyLoss: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="average")

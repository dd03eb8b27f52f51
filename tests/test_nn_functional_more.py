"""F.normalize, F.cosine_similarity, F.pad, F.scaled_dot_product_attention and F.kl_div /
nn.KLDivLoss: values and gradients against PyTorch's, central differences in float64, every device;
bad arguments are named errors."""

import warnings

import numpy as np
import pytest

import tinygrad_rnn as tr
import tinygrad_rnn.nn as nn
from tinygrad_rnn.errors import OpError

torch = pytest.importorskip("torch")

R = np.random.default_rng(0)
A, B = R.standard_normal((3, 4)), R.standard_normal((3, 4))
Q, K, V = R.standard_normal((2, 2, 3, 4)), R.standard_normal((2, 2, 5, 4)), R.standard_normal((2, 2, 5, 3))
SELF = R.standard_normal((2, 5, 4))
MASK = np.tril(np.ones((3, 5), bool))
LOGP = np.log(R.dirichlet(np.ones(4), 3))
P = R.dirichlet(np.ones(4), 3)
P[0, 1] = 0.0                       # a zero probability contributes nothing, as xlogy


def _F(lib):
    return lib.nn.functional


CASES = [
    ("normalize", lambda L, x: _F(L).normalize(x, dim=1), [A]),
    ("normalize_p1", lambda L, x: _F(L).normalize(x, p=1, dim=0), [A]),
    ("cosine_similarity", lambda L, x, y: _F(L).cosine_similarity(x, y), [A, B]),
    ("cosine_broadcast", lambda L, x, y: _F(L).cosine_similarity(x, y[:1], dim=-1), [A, B]),
    ("pad_last", lambda L, x: _F(L).pad(x, (1, 2)), [A]),
    ("pad_two_dims_value", lambda L, x: _F(L).pad(x, (0, 1, 2, 0), value=-1.5), [A]),
    ("pad_crop", lambda L, x: _F(L).pad(x, (-1, 2)), [A]),
    ("sdpa", lambda L, q, k, v: _F(L).scaled_dot_product_attention(q, k, v), [Q, K, V]),
    ("sdpa_bool_mask", lambda L, q, k, v: _F(L).scaled_dot_product_attention(q, k, v, attn_mask=_t(L, MASK)),
     [Q, K, V]),
    ("sdpa_float_mask", lambda L, q, k, v: _F(L).scaled_dot_product_attention(
        q, k, v, attn_mask=_t(L, np.where(MASK, 0.0, -1e9)), scale=0.3), [Q, K, V]),
    ("sdpa_causal", lambda L, x, y, z: _F(L).scaled_dot_product_attention(x, y, z, is_causal=True),
     [SELF, SELF * 0.5, SELF[..., :3]]),
    ("kl_batchmean", lambda L, x, y: _F(L).kl_div(x, y, reduction="batchmean"), [LOGP, P]),
    ("kl_sum", lambda L, x, y: _F(L).kl_div(x, y, reduction="sum"), [LOGP, P]),
    ("kl_mean", lambda L, x, y: _F(L).kl_div(x, y, reduction="mean"), [LOGP, P]),
    ("kl_none", lambda L, x, y: _F(L).kl_div(x, y, reduction="none"), [LOGP, P]),
    ("kl_log_target", lambda L, x, y: _F(L).kl_div(x, y, reduction="batchmean", log_target=True),
     [LOGP, LOGP[::-1].copy()]),
    ("KLDivLoss", lambda L, x, y: L.nn.KLDivLoss(reduction="batchmean")(x, y), [LOGP, P]),
]


def _t(lib, array):
    return lib.tensor(array)


@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_matches_pytorch(device, name, fn, arrays):
    ours = [tr.tensor(a, device=device, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    on_device = tr if device == "cpu" else _OnDevice(device)
    out = fn(on_device, *ours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # PyTorch's note on kl_div's "mean"
        expected = fn(torch, *theirs)
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    weights = R.standard_normal(tuple(expected.shape))
    (out * tr.tensor(weights, device=device)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs):
        expected_grad = b.grad.numpy()
        finite = np.isfinite(expected_grad)  # PyTorch's kl_div target gradient is nan where target == 0
        assert (finite.all() or name.lower().startswith("kl")) and np.isfinite(a.grad.numpy()).all()
        np.testing.assert_allclose(a.grad.numpy()[finite], expected_grad[finite], rtol=1e-10, atol=1e-13)
    if not name.lower().startswith("kl"):    # kl_div's target side is checked by PyTorch's gradient above
        assert tr.gradcheck(lambda *xs: fn(on_device, *xs), tuple(ours))


class _OnDevice:
    """tr, with tr.tensor making its (mask) tensors on the device under test."""

    def __init__(self, device):
        self.device, self.nn = device, tr.nn

    def tensor(self, array):
        return tr.tensor(array, device=self.device)


def test_bad_arguments_are_named():
    F = nn.functional
    with pytest.raises(OpError, match="pad: mode 'reflect' is not provided; only mode='constant'"):
        F.pad(tr.zeros(2, 3), (1, 1), mode="reflect")
    with pytest.raises(OpError, match=r"pad: pad must be an even number of ints, two per dimension from the last, "
                                      r"at most 4 for shape \(2, 3\); got \(1, 1, 1\)"):
        F.pad(tr.zeros(2, 3), (1, 1, 1))
    with pytest.raises(OpError, match=r"pad: cropping \(-2, -2\) leaves nothing of dimension 1 \(size 3\)"):
        F.pad(tr.zeros(2, 3), (-2, -2))
    with pytest.raises(OpError, match=r"scaled_dot_product_attention: query \(2, 3\), key \(2, 4\) and value"):
        F.scaled_dot_product_attention(tr.zeros(2, 3), tr.zeros(2, 4), tr.zeros(2, 4))
    with pytest.raises(OpError, match="scaled_dot_product_attention: give attn_mask or is_causal=True, not both"):
        F.scaled_dot_product_attention(tr.zeros(2, 3), tr.zeros(2, 3), tr.zeros(2, 3),
                                       attn_mask=tr.ones(2, 2, dtype=tr.bool), is_causal=True)
    with pytest.raises(OpError, match=r"kl_div: reduction must be one of \('none', 'mean', 'sum', 'batchmean'\)"):
        F.kl_div(tr.zeros(2), tr.zeros(2), reduction="avg")
    with pytest.raises(OpError, match=r"kl_div: input has shape \(2,\) but target has shape \(3,\)"):
        F.kl_div(tr.zeros(2), tr.zeros(3))
    with pytest.raises(OpError, match="normalize: input must be a Tensor, got list"):
        F.normalize([1.0, 2.0])

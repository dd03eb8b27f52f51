"""The engine against PyTorch: a composite expression using most ops, forward
value and every gradient, in float64."""

import numpy as np
import pytest

import tinygrad_rnn as tr

torch = pytest.importorskip("torch")


def _expression(lib, x, w, b, scale, index, mask):
    """The same maths written once for both libraries; `lib` supplies what differs."""
    h = (x @ w + b).tanh()                    # (4, 3) @ (3, 5) + (5,) -> (4, 5)
    p = lib.softmax(h * scale, 1)             # (4, 5) * (4, 1) broadcasts
    q = lib.log_softmax(h, 0)
    gathered = p[index][:, 1:4] ** 2 + (q[:, 1:4] / (1 + h[:, :3].abs())).sigmoid()  # repeated rows: (4, 3)
    pooled = lib.max(gathered, 1)
    gate = lib.where(mask, h.relu(), (h.clip(-0.3, 0.3) - 0.1).exp())
    pieces = lib.split(gate, 2, 1)
    joined = lib.stack([pieces[0].sum(1), pieces[1].mean(1)], 1)
    return pooled.mean() + ((joined + 0.5) ** b[:2].sigmoid()).sum() + (x.T.sqrt()).sum()


class Ours:
    softmax = staticmethod(lambda t, axis: t.softmax(axis))
    log_softmax = staticmethod(lambda t, axis: t.log_softmax(axis))
    max = staticmethod(lambda t, axis: t.max(axis=axis))
    where = staticmethod(tr.where)
    split = staticmethod(lambda t, size, axis: tr.split(t, size, axis))
    stack = staticmethod(tr.stack)


class Torch:
    softmax = staticmethod(lambda t, axis: torch.softmax(t, axis))
    log_softmax = staticmethod(lambda t, axis: torch.log_softmax(t, axis))
    max = staticmethod(lambda t, axis: t.max(dim=axis).values)
    where = staticmethod(torch.where)
    split = staticmethod(lambda t, size, axis: torch.split(t, size, axis))
    stack = staticmethod(torch.stack)


def test_composite_expression_matches_pytorch_in_float64():
    rng = np.random.default_rng(7)
    values = {
        "x": rng.random((4, 3)) + 0.1,  # positive: the expression takes sqrt(x)
        "w": rng.standard_normal((3, 5)),
        "b": rng.standard_normal(5),
        "scale": rng.standard_normal((4, 1)),
    }
    index = np.array([3, 0, 0, 2])
    mask = rng.random((4, 5)) > 0.5

    ours = {k: tr.tensor(v, requires_grad=True) for k, v in values.items()}
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in values.items()}
    out = _expression(Ours, **ours, index=index, mask=tr.tensor(mask))
    expected = _expression(Torch, **theirs, index=torch.tensor(index), mask=torch.tensor(mask))
    out.backward()
    expected.backward()

    assert out.dtype == np.float64
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-12)
    for name in values:
        np.testing.assert_allclose(ours[name].grad.numpy(), theirs[name].grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)

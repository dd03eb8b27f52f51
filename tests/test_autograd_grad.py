"""tr.autograd.grad as torch.autograd.grad: the gradients PyTorch gives for leaf and non-leaf
inputs, grad_outputs, several outputs, allow_unused / materialize_grads; no .grad changes."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.errors import GraphError

torch = pytest.importorskip("torch")

X, W = np.array([0.3, -1.2, 2.0]), np.array([0.5, -1.0, 0.7])


def _setup(lib, device=None):
    kw = {"device": device} if device else {}
    x = lib.tensor(X, requires_grad=True, **kw)
    w = lib.tensor(W, requires_grad=True, **kw)
    x.grad = lib.ones(3, dtype=lib.float64, **kw)          # must be left as it is
    h = (x * w).tanh()
    return x, w, h


def test_leaf_and_non_leaf_inputs_match_pytorch(device):
    (x, w, h), (tx, tw, th) = _setup(tr, device), _setup(torch)
    ours = tr.autograd.grad((h ** 2).sum() + w.sum(), (x, h, w))
    theirs = torch.autograd.grad((th ** 2).sum() + tw.sum(), (tx, th, tw))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-14)
    assert x.grad.tolist() == [1.0, 1.0, 1.0] and w.grad is None


def test_grad_outputs_and_several_outputs_match_pytorch():
    (x, w, h), (tx, tw, th) = _setup(tr), _setup(torch)
    g = np.array([1.0, -2.0, 0.5])
    (ours,) = tr.autograd.grad(h, w, grad_outputs=tr.tensor(g), retain_graph=True)
    (theirs,) = torch.autograd.grad(th, tw, grad_outputs=torch.tensor(g), retain_graph=True)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-14)
    ours = tr.autograd.grad([h.sum(), (h ** 3).sum()], [x])[0]
    theirs = torch.autograd.grad([th.sum(), (th ** 3).sum()], [tx])[0]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-14)


def test_unused_inputs():
    x, w, h = _setup(tr)
    z = tr.zeros(2, requires_grad=True)
    assert tr.autograd.grad(h.sum(), [x, z], allow_unused=True, retain_graph=True)[1] is None
    assert tr.autograd.grad(h.sum(), [z], materialize_grads=True, retain_graph=True)[0].tolist() == [0.0, 0.0]
    with pytest.raises(GraphError, match=r"autograd.grad: input #1 \(shape \(2,\)\) was not used to compute the "
                                         "outputs; pass allow_unused=True"):
        tr.autograd.grad(h.sum(), [x, z])


def test_refusals_are_named():
    x, w, h = _setup(tr)
    with pytest.raises(GraphError, match="autograd.grad: create_graph=True .* is not supported"):
        tr.autograd.grad(h.sum(), x, create_graph=True)
    with pytest.raises(GraphError, match=r"autograd.grad: input #0 \(shape \(3,\)\) does not require grad"):
        tr.autograd.grad(h.sum(), tr.zeros(3))
    with pytest.raises(GraphError, match="autograd.grad: got 2 grad_outputs for 1 outputs"):
        tr.autograd.grad(h, x, grad_outputs=[tr.ones(3), tr.ones(3)])

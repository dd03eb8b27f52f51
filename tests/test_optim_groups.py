"""zero_grad(set_to_none=...) and editable param_groups, as PyTorch's."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import optim


def quadratic_step(opt, w):
    opt.zero_grad()
    (w * w).sum().backward()
    opt.step()


def test_zero_grad_sets_none_by_default():
    w = tr.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad()
    assert w.grad is None


def test_zero_grad_set_to_none_false_zeroes_the_same_tensor():
    w = tr.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    held = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is held
    np.testing.assert_array_equal(held.numpy(), [0.0, 0.0])
    (w * 3).sum().backward()  # accumulates onto the zeros
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


def test_zero_grad_set_to_none_false_leaves_missing_grads_missing():
    w = tr.ones(2, requires_grad=True)
    optim.Adam([w]).zero_grad(set_to_none=False)
    assert w.grad is None


def test_zero_grad_matches_pytorch_both_ways():
    torch = pytest.importorskip("torch")
    for set_to_none in (True, False):
        ours, theirs = tr.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
        (ours * 2).sum().backward()
        (theirs * 2).sum().backward()
        optim.SGD([ours], lr=0.1).zero_grad(set_to_none=set_to_none)
        torch.optim.SGD([theirs], lr=0.1).zero_grad(set_to_none=set_to_none)
        assert (ours.grad is None) == (theirs.grad is None)
        if ours.grad is not None:
            np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_writing_lr_into_param_groups_takes_effect():
    torch = pytest.importorskip("torch")
    ours = tr.tensor([1.0, -2.0], dtype=tr.float64, requires_grad=True)
    theirs = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    our_opt, their_opt = optim.SGD([ours], lr=0.1, momentum=0.5), torch.optim.SGD([theirs], lr=0.1, momentum=0.5)
    for step in range(6):
        for opt in (our_opt, their_opt):
            for group in opt.param_groups:
                group["lr"] = 0.1 / (step + 1)  # an annealing program writes the lr itself
        quadratic_step(our_opt, ours)
        quadratic_step(their_opt, theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-14)


def test_lr_zero_in_param_groups_freezes_the_parameter():
    w = tr.ones(2, requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    opt.param_groups[0]["lr"] = 0.0
    quadratic_step(opt, w)
    np.testing.assert_array_equal(w.numpy(), [1.0, 1.0])


def test_add_param_group_trains_the_new_group_with_its_settings():
    torch = pytest.importorskip("torch")
    values = ([1.0, 2.0], [-1.0, 0.5, 3.0])
    ours = [tr.tensor(v, dtype=tr.float64, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    our_opt = optim.Adam(ours[:1], lr=0.1)
    their_opt = torch.optim.Adam(theirs[:1], lr=0.1)
    our_opt.add_param_group({"params": ours[1:], "lr": 0.01, "betas": (0.5, 0.9)})
    their_opt.add_param_group({"params": theirs[1:], "lr": 0.01, "betas": (0.5, 0.9)})
    assert our_opt.param_groups[1]["eps"] == their_opt.param_groups[1]["eps"] == 1e-8
    for _ in range(5):
        for opt, ps in ((our_opt, ours), (their_opt, theirs)):
            opt.zero_grad()
            sum((p ** 3).sum() for p in ps).backward()
            opt.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-13)


def test_add_param_group_refuses_a_parameter_already_held():
    w = tr.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="appears in more than one group"):
        opt.add_param_group({"params": [w]})

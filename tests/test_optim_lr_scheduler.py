"""Learning-rate schedulers: the same lr sequence as PyTorch's, state round trips, errors."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import optim
from tinygrad_rnn.optim import lr_scheduler

SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
    ("CosineAnnealingLR", dict(T_max=4)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: min(1.0, (epoch + 1) / 4))),
    ("LambdaLR", dict(lr_lambda=[lambda epoch: 0.95 ** epoch, lambda epoch: 1 / (1 + epoch)])),
    ("MultiplicativeLR", dict(lr_lambda=lambda epoch: 0.9)),
    ("MultiStepLR", dict(milestones=[3, 7, 7, 12], gamma=0.5)),
    ("LinearLR", dict(start_factor=0.25, total_iters=6)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.1, total_iters=10)),
    ("CosineAnnealingWarmRestarts", dict(T_0=4)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001)),
]


def our_groups():
    return [{"params": [tr.ones(1, requires_grad=True)]}, {"params": [tr.ones(1, requires_grad=True)], "lr": 0.03}]


def lrs(opt):
    return [g["lr"] for g in opt.param_groups]


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=lambda v: str(v))
def test_sequence_matches_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    opt = optim.SGD(our_groups(), lr=0.1)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    topt = torch.optim.SGD([{"params": [torch.ones(1, requires_grad=True)]},
                            {"params": [torch.ones(1, requires_grad=True)], "lr": 0.03}], lr=0.1)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    for epoch in range(25):  # past T_max, where the cosine climbs again
        assert lrs(opt) == lrs(topt), f"epoch {epoch}"  # the same floats, rounding included
        assert sched.get_last_lr() == tsched.get_last_lr()
        opt.step()
        topt.step()
        sched.step()
        tsched.step()


PLATEAU = [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.1, threshold_mode="abs", cooldown=1, min_lr=0.004),
    dict(factor=0.3, patience=1, cooldown=2, min_lr=[0.01, 0.0], eps=1e-3),
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=str)
def test_reduce_on_plateau_matches_pytorch(kwargs):
    torch = pytest.importorskip("torch")
    metrics = [1.0, 0.9, 0.95, 0.95, 0.94, 0.96, 0.97, 0.8, 0.85, 0.85, 0.85, 0.86, 0.9, 0.7, 0.7, 0.7,
               0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.77, 0.78, 0.79, 0.8, 0.81, 0.82, 0.83, 0.84]
    opt = optim.SGD(our_groups(), lr=0.1)
    sched = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    topt = torch.optim.SGD([{"params": [torch.ones(1, requires_grad=True)]},
                            {"params": [torch.ones(1, requires_grad=True)], "lr": 0.03}], lr=0.1)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    for epoch, metric in enumerate(metrics):
        sched.step(tr.tensor(metric) if epoch % 2 else metric)
        tsched.step(metric)
        assert lrs(opt) == lrs(topt), f"epoch {epoch}"
    assert sched.get_last_lr() == tsched.get_last_lr()


def test_step_lr_sequence_by_hand():
    opt = optim.SGD([tr.ones(1, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    seen = []
    for _ in range(5):
        seen.append(opt.param_groups[0]["lr"])
        sched.step()
    assert seen == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01])


def test_scheduler_state_dict_resumes_the_sequence_through_a_checkpoint(tmp_path):
    def make():
        opt = optim.SGD([tr.ones(1, requires_grad=True)], lr=0.1)
        return opt, lr_scheduler.CosineAnnealingLR(opt, T_max=5)
    opt, sched = make()
    for _ in range(3):
        sched.step()
    tr.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp_path / "ckpt")
    expected = []
    for _ in range(4):
        sched.step()
        expected.append(sched.get_last_lr())
    opt2, sched2 = make()
    checkpoint = tr.load(tmp_path / "ckpt")
    opt2.load_state_dict(checkpoint["optimizer"])
    sched2.load_state_dict(checkpoint["scheduler"])
    resumed = []
    for _ in range(4):
        sched2.step()
        resumed.append(sched2.get_last_lr())
    assert resumed == expected


def test_scheduler_needs_an_optimizer():
    with pytest.raises(tr.OpError, match="StepLR: expected an Optimizer, got list"):
        lr_scheduler.StepLR([], step_size=1)


def test_step_lr_rejects_non_positive_step_size():
    opt = optim.SGD([tr.ones(1, requires_grad=True)], lr=0.1)
    with pytest.raises(tr.OpError, match="step_size must be a positive int, got 0"):
        lr_scheduler.StepLR(opt, step_size=0)


def test_plateau_rejects_factor_of_one_or_more():
    opt = optim.SGD([tr.ones(1, requires_grad=True)], lr=0.1)
    with pytest.raises(tr.OpError, match="factor must be < 1.0, got 1.0"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)


def test_plateau_state_survives_a_checkpoint(tmp_path):
    opt = optim.SGD([tr.ones(1, requires_grad=True)], lr=0.1)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    sched.step(1.0)
    tr.save(sched.state_dict(), tmp_path / "ckpt")
    fresh = lr_scheduler.ReduceLROnPlateau(optim.SGD([tr.ones(1, requires_grad=True)], lr=0.1), patience=0)
    fresh.load_state_dict(tr.load(tmp_path / "ckpt"))
    assert fresh.best == 1.0 and fresh.state_dict() == sched.state_dict()


def test_lambda_schedules_keep_their_functions_out_of_state_dict():
    opt = optim.SGD(our_groups(), lr=0.1)
    sched = lr_scheduler.LambdaLR(opt, lambda epoch: 0.5 ** epoch)
    sched.step()
    state = sched.state_dict()
    assert "lr_lambdas" not in state and state["last_epoch"] == 1


def test_lambda_and_milestone_arguments_are_checked():
    opt = optim.SGD(our_groups(), lr=0.1)
    with pytest.raises(tr.OpError, match=r"LambdaLR: expected 2 lr_lambdas \(one per parameter group\), got 3"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0] * 3)
    with pytest.raises(tr.OpError, match="MultiplicativeLR: lr_lambda must be a function of the epoch, got float"):
        lr_scheduler.MultiplicativeLR(opt, 0.9)
    with pytest.raises(tr.OpError, match=r"MultiStepLR: milestones must be ints \(epochs\), got \[2.5\]"):
        lr_scheduler.MultiStepLR(opt, [2.5])
    with pytest.raises(tr.OpError, match="LinearLR: start_factor must be in"):
        lr_scheduler.LinearLR(opt, start_factor=0)


@pytest.mark.parametrize("T_mult", [1, 2])
def test_warm_restarts_with_fractional_epochs_match_pytorch(T_mult):
    torch = pytest.importorskip("torch")
    opt = optim.SGD(our_groups(), lr=0.1)
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=T_mult, eta_min=0.01)
    topt = torch.optim.SGD([{"params": [torch.ones(1, requires_grad=True)]},
                            {"params": [torch.ones(1, requires_grad=True)], "lr": 0.03}], lr=0.1)
    tsched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=3, T_mult=T_mult, eta_min=0.01)
    for epoch in range(12):
        for i in range(4):                      # per batch, as the docs show: step(epoch + i / iters)
            sched.step(epoch + i / 4)
            tsched.step(epoch + i / 4)
            assert lrs(opt) == pytest.approx(lrs(topt), rel=1e-15, abs=1e-18)
    with pytest.raises(tr.OpError, match="CosineAnnealingWarmRestarts: T_0 must be a positive int, got 0"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)



ONE_CYCLE = [
    ("SGD", dict(max_lr=0.1, total_steps=20)),
    ("Adam", dict(max_lr=[0.1, 0.05], epochs=3, steps_per_epoch=5, three_phase=True, anneal_strategy="linear")),
    ("SGD", dict(max_lr=0.2, total_steps=9, cycle_momentum=False, pct_start=0.5)),
]


@pytest.mark.parametrize("name, kwargs", ONE_CYCLE, ids=str)
def test_one_cycle_lr_momentum_and_training_match_pytorch(name, kwargs):
    """lr and momentum (Adam's beta1) each step, and the parameters they move, equal PyTorch's."""
    torch = pytest.importorskip("torch")
    extra = {"momentum": 0.9} if name == "SGD" else {}
    start = [[0.5, -1.0], [2.0, 0.25]]
    ours = [tr.tensor(v, dtype=tr.float64, requires_grad=True) for v in start]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in start]
    opt = getattr(optim, name)([{"params": [ours[0]]}, {"params": [ours[1]]}], lr=0.1, **extra)
    topt = getattr(torch.optim, name)([{"params": [theirs[0]]}, {"params": [theirs[1]]}], lr=0.1, **extra)
    sched = lr_scheduler.OneCycleLR(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, **kwargs)
    key = "momentum" if name == "SGD" else "betas"
    for _ in range(kwargs.get("total_steps") or 15):
        assert lrs(opt) == lrs(topt)
        assert [g[key] for g in opt.param_groups] == [g[key] for g in topt.param_groups]
        for o, p in ((opt, ours), (topt, theirs)):
            o.zero_grad()
            sum((x ** 2).sum() for x in p).backward()
            o.step()
        if sched.last_epoch < sched.total_steps - 1:
            sched.step()
            tsched.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-13)


def test_one_cycle_arguments_are_checked():
    opt = optim.Adagrad([tr.ones(1, requires_grad=True)], lr=0.1)
    with pytest.raises(tr.OpError, match="OneCycleLR: give total_steps, or epochs and steps_per_epoch"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(tr.OpError, match="OneCycleLR: cycle_momentum=True needs an optimizer with momentum or betas"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2, cycle_momentum=False)
    sched.step()
    sched.step()
    with pytest.raises(tr.OpError, match="OneCycleLR: stepped 3 times, past total_steps=2"):
        sched.step()

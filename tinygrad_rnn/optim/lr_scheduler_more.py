"""More of PyTorch's schedules, in the same forms as theirs (so the floats agree):

    LambdaLR:         lr_t = base * f(t)                  (f one function, or one per group)
    MultiplicativeLR: lr_t = lr_{t-1} * f(t)              (t >= 1)
    MultiStepLR:      lr_t = lr_{t-1} * gamma^k           when t is a milestone k times
    LinearLR:         the factor on base goes linearly from start_factor to end_factor in total_iters
    CosineAnnealingWarmRestarts:
                      lr = eta_min + (base - eta_min)(1 + cos(pi T_cur / T_i)) / 2, restarting when
                      T_cur reaches T_i (T_i = T_0, then T_0 T_mult, ...); step(epoch) takes fractions
    OneCycleLR:       per batch: lr from max_lr / div_factor up to max_lr over pct_start of the steps,
                      then down to that / final_div_factor (cosine or linear), momentum (or Adam's
                      beta1) the other way between max_momentum and base_momentum
"""

import math
from collections import Counter

from ..errors import OpError
from .scheduler_base import LRScheduler


def _per_group(name, lr_lambda, optimizer):
    n = len(optimizer.param_groups)
    functions = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
    if len(functions) != n:
        raise OpError(f"{name}: expected {n} lr_lambdas (one per parameter group), got {len(functions)}")
    for f in functions:
        if not callable(f):
            raise OpError(f"{name}: lr_lambda must be a function of the epoch, got {type(f).__name__}")
    return functions


class _LambdaScheduler(LRScheduler):
    def state_dict(self):
        """As PyTorch: the functions are code, not state; they stay out (torch.save could not pickle a lambda)."""
        return {k: v for k, v in super().state_dict().items() if k != "lr_lambdas"}


class LambdaLR(_LambdaScheduler):
    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _per_group("LambdaLR", lr_lambda, optimizer)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaScheduler):
    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _per_group("MultiplicativeLR", lr_lambda, optimizer)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch > 0:
            return [lr * f(self.last_epoch) for f, lr in zip(self.lr_lambdas, self._current())]
        return self._current()


class MultiStepLR(LRScheduler):
    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        milestones = list(milestones)
        if any(isinstance(m, bool) or not isinstance(m, int) for m in milestones):
            raise OpError(f"MultiStepLR: milestones must be ints (epochs), got {milestones!r}")
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current()]


class LinearLR(LRScheduler):
    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise OpError(f"LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], got "
                          f"{start_factor} and {end_factor}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, start, end, n = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if t == 0:
            return [lr * start for lr in self._current()]
        if t > n:
            return self._current()
        return [lr * (1.0 + (end - start) / (n * start + (t - 1) * (end - start))) for lr in self._current()]


class CosineAnnealingWarmRestarts(LRScheduler):
    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):  # PyTorch's names
        if isinstance(T_0, bool) or not isinstance(T_0, int) or T_0 <= 0:
            raise OpError(f"CosineAnnealingWarmRestarts: T_0 must be a positive int, got {T_0!r}")
        if isinstance(T_mult, bool) or not isinstance(T_mult, int) or T_mult < 1:
            raise OpError(f"CosineAnnealingWarmRestarts: T_mult must be an int >= 1, got {T_mult!r}")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch=None):
        """One epoch on, or to `epoch` (a float for steps within an epoch), as PyTorch's."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur - self.T_i, self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise OpError(f"CosineAnnealingWarmRestarts: epoch must be non-negative, got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i, self.T_cur = self.T_0, epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


def _anneal(strategy, start, end, pct):
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1):
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise OpError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps <= 0:
            raise OpError(f"OneCycleLR: total_steps must be a positive int, got {total_steps!r}")
        if not 0 <= pct_start <= 1 or anneal_strategy not in ("cos", "linear"):
            raise OpError(f"OneCycleLR: pct_start must be in [0, 1] and anneal_strategy 'cos' or 'linear', got "
                          f"{pct_start!r} and {anneal_strategy!r}")
        self.total_steps, self.anneal_strategy, self.cycle_momentum = total_steps, anneal_strategy, cycle_momentum
        up = float(pct_start * total_steps) - 1
        if three_phase:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
                             "max_momentum"),
                            (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        groups = optimizer.param_groups
        max_lrs = list(max_lr) if isinstance(max_lr, (list, tuple)) else [max_lr] * len(groups)
        self.use_beta1 = "betas" in optimizer.defaults
        if cycle_momentum and "momentum" not in optimizer.defaults and not self.use_beta1:
            raise OpError("OneCycleLR: cycle_momentum=True needs an optimizer with momentum or betas "
                          f"({type(optimizer).__name__} has neither); pass cycle_momentum=False")
        for group, top in zip(groups, max_lrs):
            if last_epoch == -1:
                group["initial_lr"] = top / div_factor
                group["max_lr"], group["min_lr"] = top, group["initial_lr"] / final_div_factor
            if cycle_momentum:
                if last_epoch == -1:
                    if self.use_beta1:
                        group["betas"] = (max_momentum, *group["betas"][1:])
                    else:
                        group["momentum"] = max_momentum
                group["max_momentum"], group["base_momentum"] = max_momentum, base_momentum
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise OpError(f"OneCycleLR: stepped {step} times, past total_steps={self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
                if step <= end or i == len(self._phases) - 1:
                    pct = (step - start) / (end - start)
                    lr = _anneal(self.anneal_strategy, group[lr0], group[lr1], pct)
                    momentum = _anneal(self.anneal_strategy, group[m0], group[m1], pct) if self.cycle_momentum \
                        else None
                    break
                start = end
            lrs.append(lr)
            if momentum is not None:
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return lrs


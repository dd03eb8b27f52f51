"""More of PyTorch's schedules, in the same forms as theirs (so the floats agree):

    LambdaLR:         lr_t = base * f(t)                  (f one function, or one per group)
    MultiplicativeLR: lr_t = lr_{t-1} * f(t)              (t >= 1)
    MultiStepLR:      lr_t = lr_{t-1} * gamma^k           when t is a milestone k times
    LinearLR:         the factor on base goes linearly from start_factor to end_factor in total_iters
    CosineAnnealingWarmRestarts:
                      lr = eta_min + (base - eta_min)(1 + cos(pi T_cur / T_i)) / 2, restarting when
                      T_cur reaches T_i (T_i = T_0, then T_0 T_mult, ...); step(epoch) takes fractions
"""

import math
from collections import Counter

from ..errors import OpError
from .lr_scheduler import LRScheduler


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


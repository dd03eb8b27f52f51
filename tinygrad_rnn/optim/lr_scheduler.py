"""Learning-rate schedules, PyTorch's sequences: call `scheduler.step()` once
per epoch, after `optimizer.step()`.

Each schedule updates group["lr"] from its current value (the "chainable"
form PyTorch uses), so the numbers, rounding included, are PyTorch's:

    StepLR:            lr_t = lr_{t-1} * gamma  when t is a multiple of step_size
    ExponentialLR:     lr_t = lr_{t-1} * gamma
    CosineAnnealingLR: lr_t = eta_min + (base - eta_min)(1 + cos(pi t / T_max)) / 2
    ReduceLROnPlateau: lr <- max(lr * factor, min_lr) after `patience` epochs without improvement
"""

import math

from ..errors import OpError
from .lr_scheduler_more import (  # noqa: F401 (tr.optim.lr_scheduler's names, as PyTorch's)
    CosineAnnealingWarmRestarts,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
)
from .optimizer import Optimizer
from .scheduler_base import LRScheduler


class StepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not isinstance(step_size, int) or step_size <= 0:
            raise OpError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class ExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from the base lr down to eta_min over T_max epochs, then
    back up over the next T_max (the recursive form keeps going past T_max)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):  # T_max: PyTorch's name
        if T_max <= 0:
            raise OpError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        if self._initial:
            return self._current()
        if (t - 1 - T) % (2 * T) == 0:
            return [lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(self._current(), self.base_lrs)]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - lo) + lo
                for lr in self._current()]


class ReduceLROnPlateau:
    """Multiply the lr by `factor` when a metric has stopped improving for
    `patience` epochs. mode "min" (a loss) or "max" (an accuracy); improvement
    means beating the best by `threshold`, relative ("rel") or absolute ("abs");
    after a reduction, `cooldown` epochs pass before bad epochs count again;
    changes smaller than eps are skipped."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0.0, eps=1e-8):
        if not isinstance(optimizer, Optimizer):
            raise OpError(f"ReduceLROnPlateau: expected an Optimizer, got {type(optimizer).__name__}")
        if factor >= 1.0:
            raise OpError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor}")
        if mode not in ("min", "max"):
            raise OpError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise OpError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        n = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * n
        if len(min_lrs) != n:
            raise OpError(f"ReduceLROnPlateau: expected {n} min_lr values, one per group, got {len(min_lrs)}")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown = threshold, threshold_mode, cooldown
        self.min_lrs, self.eps = min_lrs, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, value):
        if self.mode == "min":
            return value < (self.best * (1 - self.threshold) if self.threshold_mode == "rel"
                            else self.best - self.threshold)
        return value > (self.best * (1 + self.threshold) if self.threshold_mode == "rel"
                        else self.best + self.threshold)

    def step(self, metric):
        value = float(metric.item() if hasattr(metric, "item") else metric)
        self.last_epoch += 1
        if self.is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)

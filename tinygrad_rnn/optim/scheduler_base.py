"""The base of every learning-rate schedule (PyTorch's LRScheduler): base_lrs, last_epoch, step() and
get_last_lr(), state_dict(); the schedules themselves are in lr_scheduler.py and lr_scheduler_more.py."""

from ..errors import OpError
from .optimizer import Optimizer


class LRScheduler:
    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise OpError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise OpError(f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs 'initial_lr' in "
                              "every parameter group; load the optimizer's state_dict first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial = True  # the constructor's step sets the starting lr, it does not advance it
        self.step()
        self._initial = False

    def get_lr(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr")

    def step(self):
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self._last_lr)

    def _current(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)

"""The losses as modules: configured once, called as loss_fn(input, target)."""

from . import losses
from .module import Module


class LossModule(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        losses.check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(LossModule):
    def forward(self, input, target):
        return losses.mse_loss(input, target, self.reduction)


class L1Loss(LossModule):
    def forward(self, input, target):
        return losses.l1_loss(input, target, self.reduction)


class NLLLoss(LossModule):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input, target):
        return losses.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(LossModule):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.weight, self.ignore_index, self.label_smoothing = weight, ignore_index, label_smoothing

    def forward(self, input, target):
        return losses.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                                    self.label_smoothing)

    def extra_repr(self):
        return f"ignore_index={self.ignore_index}, reduction={self.reduction!r}, label_smoothing={self.label_smoothing}"


class BCEWithLogitsLoss(LossModule):
    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input, target):
        return losses.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)

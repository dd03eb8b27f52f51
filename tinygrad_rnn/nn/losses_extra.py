"""More of PyTorch's losses, with their modules: binary cross-entropy on probabilities and the
robust regression losses. Built from the engine's ops, so they differentiate through the graph.

    binary_cross_entropy  l_i = -w_i [y_i log x_i + (1 - y_i) log(1 - x_i)],  x in [0, 1];
                          each log is clamped at -100, as PyTorch's, so x = 0 or 1 stays finite
    smooth_l1_loss        l_i = 0.5 d_i^2 / beta  if |d_i| < beta  else |d_i| - 0.5 beta,  d = x - y
    huber_loss            l_i = 0.5 d_i^2         if |d_i| < delta else delta (|d_i| - 0.5 delta)
    kl_div                l_i = y_i (log y_i - x_i)  (x: log-probabilities, y: probabilities; 0 where y_i = 0)
"""

from .. import backend, functions
from ..autograd import Function
from ..errors import OpError
from .loss_modules import LossModule
from .losses import as_tensor_like, check_float_target, check_reduction, check_same_shape, l1_loss, reduce_loss

EPSILON = backend.np.float32(1e-12)  # PyTorch's floor for x (1 - x), a float32 constant there too


class BinaryCrossEntropy(Function):
    """l = -[y log x + (1 - y) log(1 - x)], each log clamped at -100 (x, y: the same shape)

    dx = g (x - y) / max(x (1 - x), 1e-12),  dy = g (log(1 - x) - log x)  (the clamped logs):
    PyTorch's formulas, finite at x = 0 and 1 where the chain rule through the clamp is not."""

    def forward(self, x, y):
        log_x, log_1mx = self._logs(x)
        self.save(x, y)
        return -(y * log_x + (1 - y) * log_1mx)

    @staticmethod
    def _logs(x):
        xp = backend.xp_of(x)
        tiny = x.dtype.type(1e-44)  # below e^-100, so the clamp decides, and log never sees 0
        return (xp.maximum(xp.log(xp.maximum(x, tiny)), -100).astype(x.dtype),
                xp.maximum(xp.log(xp.maximum(1 - x, tiny)), -100).astype(x.dtype))

    def backward(self, g):
        x, y = self.saved
        xp = backend.xp_of(x)
        dx = dy = None
        if self.needs_grad[0]:
            dx = g * (x - y) / xp.maximum(x * (1 - x), EPSILON.astype(x.dtype))
        if self.needs_grad[1]:
            log_x, log_1mx = self._logs(x)
            dy = g * (log_1mx - log_x)
        return dx, dy


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    check_reduction("binary_cross_entropy", reduction)
    target = as_tensor_like(target, input)
    check_same_shape("binary_cross_entropy", input, target)
    check_float_target("binary_cross_entropy", input, target)
    if input.numel() and bool(((input.detach() < 0) | (input.detach() > 1)).any()):
        raise OpError("binary_cross_entropy: every element of input must be a probability in [0, 1] "
                      f"(min {input.min().item():.4g}, max {input.max().item():.4g}); for logits use "
                      "binary_cross_entropy_with_logits (nn.BCEWithLogitsLoss)")
    loss = BinaryCrossEntropy.apply(input, target if target.dtype == input.dtype else target.to(input.dtype))
    if weight is not None:
        loss = loss * as_tensor_like(weight, input)
    return reduce_loss(loss, reduction)


def _huber(op, input, target, reduction, delta):
    check_reduction(op, reduction)
    target = as_tensor_like(target, input)
    check_same_shape(op, input, target)
    check_float_target(op, input, target)
    diff = (input - target).abs()
    return reduce_loss(functions.where(diff < delta, 0.5 * diff * diff, delta * (diff - 0.5 * delta)), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    if delta <= 0:
        raise OpError(f"huber_loss: delta must be positive, got {delta}")
    return _huber("huber_loss", input, target, reduction, delta)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """huber_loss(delta=beta) / beta, and the L1 loss when beta is 0 (PyTorch's definition)."""
    if beta < 0:
        raise OpError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    return _huber("smooth_l1_loss", input, target, reduction, beta) / beta


def kl_div(input, target, reduction="mean", log_target=False):
    """l = target (log target - input), 0 where target is 0 (input: log-probabilities); with
    log_target, l = e^target (target - input). "batchmean" divides the sum by input.size(0)."""
    target = as_tensor_like(target, input)
    check_same_shape("kl_div", input, target)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise OpError(f"kl_div: reduction must be one of ('none', 'mean', 'sum', 'batchmean'), got {reduction!r}")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        safe = functions.where(positive, target, 1.0)
        loss = functions.where(positive, target * safe.log(), 0.0) - target * input
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return loss.mean()


class BCELoss(LossModule):
    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        return binary_cross_entropy(input, target, self.weight, self.reduction)


class SmoothL1Loss(LossModule):
    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return smooth_l1_loss(input, target, self.reduction, self.beta)


class HuberLoss(LossModule):
    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return huber_loss(input, target, self.reduction, self.delta)


class KLDivLoss(LossModule):
    def __init__(self, reduction="mean", log_target=False):
        super().__init__("mean" if reduction == "batchmean" else reduction)  # batchmean: kl_div's own
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input, target):
        return kl_div(input, target, self.reduction, self.log_target)


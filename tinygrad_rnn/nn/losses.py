"""Loss functions, built from the engine's ops so that they differentiate
through the ordinary graph; PyTorch's definitions and reductions.

reduction: "none" (one loss per element), "sum", or "mean". For the
classification losses "mean" divides by the total weight of the targets that
are not `ignore_index` (the number of them without class weights); when every
target is ignored that is 0 / 0 = nan, with zero gradients, as in PyTorch.
"""

import math

from .. import backend
from ..autograd import Function, is_anomaly_enabled
from ..errors import OpError
from ..tensor import Tensor
from .logsigmoid import logsigmoid

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(op, reduction):
    if reduction not in REDUCTIONS:
        raise OpError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def reduce_loss(loss, reduction):
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean() if loss.numel() else loss.sum() * float("nan")
    return loss


def check_same_shape(op, input, target):
    if tuple(input.shape) != tuple(target.shape):
        raise OpError(f"{op}: input has shape {tuple(input.shape)} but target has shape {tuple(target.shape)}; "
                      "they must be equal (reshape one of them; broadcasting here is almost always a bug)")


def check_float_target(op, input, target):
    if target.dtype.kind != "f":
        raise OpError(f"{op}: target has dtype {target.dtype} but input has dtype {input.dtype}; this loss compares "
                      "real values, so the target must be floating point (convert it with .float())")


def as_tensor_like(x, like):
    return x if isinstance(x, Tensor) else Tensor._make(backend.as_array(x, dtype=like.dtype, device=like.device))


def mse_loss(input, target, reduction="mean"):
    """l_i = (x_i - y_i)^2"""
    check_reduction("mse_loss", reduction)
    target = as_tensor_like(target, input)
    check_same_shape("mse_loss", input, target)
    check_float_target("mse_loss", input, target)
    diff = input - target
    return reduce_loss(diff * diff, reduction)


def l1_loss(input, target, reduction="mean"):
    """l_i = |x_i - y_i|"""
    check_reduction("l1_loss", reduction)
    target = as_tensor_like(target, input)
    check_same_shape("l1_loss", input, target)
    check_float_target("l1_loss", input, target)
    return reduce_loss((input - target).abs(), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """l_i = -w_i [p y_i log sigmoid(x_i) + (1 - y_i) log sigmoid(-x_i)]

    x: logits, y: targets in [0, 1] of the same shape, w: optional weight
    broadcast to x, p: optional pos_weight broadcast along the last axis (the
    classes). log sigmoid is one stable op, so |x| = 1e4 is fine.
    """
    check_reduction("binary_cross_entropy_with_logits", reduction)
    target = as_tensor_like(target, input)
    check_same_shape("binary_cross_entropy_with_logits", input, target)
    check_float_target("binary_cross_entropy_with_logits", input, target)
    positive = logsigmoid(input)
    if pos_weight is not None:
        positive = positive * as_tensor_like(pos_weight, input)
    loss = -(target * positive + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * as_tensor_like(weight, input)
    return reduce_loss(loss, reduction)


def _class_scores_2d(scores, target, op):
    """(N, C, d1, ...) scores -> (M, C) with M = N d1 ..., and target (N, d1, ...) -> (M,).

    Also accepts one unbatched sample: scores (C,), target ()."""
    if scores.ndim == 1:
        scores = scores.reshape(1, -1)
        expected = ()
    elif scores.ndim >= 2:
        expected = (scores.shape[0],) + tuple(scores.shape[2:])
    else:
        raise OpError(f"{op}: input must have shape (C,), (N, C) or (N, C, d1, ...), got a scalar")
    if tuple(target.shape) != expected:
        raise OpError(f"{op}: for input of shape {tuple(scores.shape) if expected else (scores.shape[1],)} "
                      f"the class-index target must have shape {expected}, got {tuple(target.shape)}")
    if scores.ndim > 2:
        axes = (0,) + tuple(range(2, scores.ndim)) + (1,)  # classes last, then flatten the rest
        scores = scores.permute(axes)
    return scores.reshape(-1, scores.shape[-1])


class PickTarget(Function):
    """out_i = x[i, y_i],  x: (N, C), y: (N,) ints in [0, C) -> (N,);  dx: zeros with g_i at (i, y_i).

    The targets' own gather, so that the ids (already in range) are not checked
    again as a user's index would be."""

    checks_versions = False  # backward never reads x

    def __init__(self, ids):
        self.ids = ids

    def forward(self, x):
        self.shape = x.shape
        self.rows = backend.xp_of(x).arange(x.shape[0])
        return x[self.rows, self.ids]

    def backward(self, g):
        dx = backend.xp_of(g).zeros(self.shape, dtype=g.dtype)
        dx[self.rows, self.ids] = g
        return dx


def _target_ids(op, target, device, ignore_index, input_shape):
    """Class-index targets as an integer array on `device`, and whether their range was checked already:
    targets given on the host for a GPU input are checked there, before they are copied."""
    ids = target.array if isinstance(target, Tensor) else target if backend.is_array(target) else \
        backend.np.asarray(target)
    if ids.dtype.kind not in "iu":
        raise OpError(f"{op}: class-index target must hold integers, got dtype {ids.dtype} "
                      "(class probabilities are taken only by cross_entropy, with the input's shape)")
    checked = False
    if not isinstance(target, Tensor) and backend.device_of(ids) != device:
        if device == "cuda" and len(input_shape) >= 1:
            n_classes = input_shape[1] if len(input_shape) > 1 else input_shape[0]
            _check_target_range(op, ids.reshape(-1), n_classes, ignore_index)
            checked = True
        ids = backend.to_device(ids, device)
    if backend.device_of(ids) != device:
        raise backend.DeviceError(f"{op}: target is on {backend.device_of(ids)} but input is on {device}")
    return ids, checked


def _check_target_range(op, ids, n_classes, ignore_index):
    """Raise unless every target is a class in [0, n_classes) or ignore_index (reads GPU ids back)."""
    bad = (ids != ignore_index) & ((ids < 0) | (ids >= n_classes))
    if ids.size and bool(bad.any()):
        raise OpError(f"{op}: target {int(ids[bad][0])} is out of bounds for {n_classes} classes "
                      f"(valid: 0..{n_classes - 1}, or ignore_index={ignore_index})")


def _class_index_loss(op, log_probs, target, weight, ignore_index, reduction, label_smoothing):
    """The loss of log-probabilities against class indices, as PyTorch defines it:

        l_i = (1 - s) (-w[y_i] log p_{i,y_i}) + (s / C) (-sum_c w_c log p_{i,c}),
        l_i = 0 where y_i == ignore_index,  mean = sum_i l_i / sum_{i not ignored} w[y_i]
    """
    check_reduction(op, reduction)
    ids, host_checked = _target_ids(op, target, log_probs.device, ignore_index, log_probs.shape)
    target_shape = tuple(ids.shape)
    flat = _class_scores_2d(log_probs, ids, op)
    dtype = log_probs.dtype
    xp = backend.xp_of(ids)
    n_classes = flat.shape[1]
    ids = ids.reshape(-1)
    kept = ids != ignore_index
    bad = None
    if backend.device_of(ids) == "cpu" or is_anomaly_enabled():
        _check_target_range(op, ids, n_classes, ignore_index)
    elif not host_checked:  # GPU targets: an out-of-range one makes the loss nan instead of a sync per call
        bad = kept & ((ids < 0) | (ids >= n_classes))
        kept = kept & ~bad
    safe_ids = xp.where(kept, ids, 0)
    if weight is not None:
        class_weight = backend.as_array(weight.array if isinstance(weight, Tensor) else weight,
                                        dtype=dtype, device=log_probs.device)
        if tuple(class_weight.shape) != (n_classes,):
            raise OpError(f"{op}: weight must have one entry per class, shape ({n_classes},), "
                          f"got {tuple(class_weight.shape)}")
        target_weight = class_weight[safe_ids] * kept
    else:
        class_weight = None
        target_weight = kept.astype(dtype)
    if bad is not None:
        target_weight = xp.where(bad, dtype.type(math.nan), target_weight)

    picked = PickTarget.apply(flat, ids=safe_ids)
    loss = -picked * target_weight
    if label_smoothing:
        smooth = flat * class_weight if class_weight is not None else flat
        smooth = -smooth.sum(axis=1) * kept.astype(dtype)
        loss = (1 - label_smoothing) * loss + (label_smoothing / n_classes) * smooth

    if reduction == "none":
        return loss.reshape(target_shape)
    if reduction == "sum":
        return loss.sum()
    # Dividing the weights (constants) rather than the sum keeps the gradient
    # zero when every target is ignored; the nan of 0 / 0 is then added alone.
    total = target_weight.sum()
    empty = total == 0
    scale = xp.where(empty, 0, 1 / xp.where(empty, 1, total)).astype(dtype)
    return (loss * scale).sum() + xp.where(empty, float("nan"), 0).astype(dtype)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """l_i = -w[y_i] x_{i, y_i}  for log-probabilities x: (N, C) or (N, C, d1, ...),
    class indices y: (N,) or (N, d1, ...)."""
    return _class_index_loss("nll_loss", input, target, weight, ignore_index, reduction, 0.0)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """nll_loss(log_softmax(x, axis=1), y) with optional label smoothing s:

        class indices y (N,) or (N, d1, ...):
            l_i = (1 - s)(-w[y_i] log p_{i,y_i}) + (s / C)(-sum_c w_c log p_{i,c})
        class probabilities y with x's shape:
            l_i = -sum_c w_c q_{i,c} log p_{i,c},  q = (1 - s) y + s / C,
            and "mean" divides by the number of samples N d1 ...

    x: logits (C,), (N, C) or (N, C, d1, ...); the log-softmax is stable, so
    logits of 1e4 give finite losses and gradients.
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise OpError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    log_probs = input.log_softmax(axis=1 if input.ndim > 1 else 0)
    target_dtype = target.dtype if hasattr(target, "dtype") else None
    if target_dtype is not None and target_dtype.kind == "f":
        return _probability_loss(log_probs, target, weight, reduction, label_smoothing)
    return _class_index_loss("cross_entropy", log_probs, target, weight, ignore_index, reduction, label_smoothing)


def _probability_loss(log_probs, target, weight, reduction, label_smoothing):
    check_reduction("cross_entropy", reduction)
    target = as_tensor_like(target, log_probs)
    check_same_shape("cross_entropy (class probabilities)", log_probs, target)
    class_axis = 1 if log_probs.ndim > 1 else 0
    n_classes = log_probs.shape[class_axis]
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    terms = log_probs * target
    if weight is not None:
        shape = [1] * log_probs.ndim
        shape[class_axis] = n_classes
        terms = terms * as_tensor_like(weight, log_probs).reshape(tuple(shape))
    return reduce_loss(-terms.sum(axis=class_axis), reduction)

"""Gradient clipping, applied to .grad in place between backward() and step().

    clip_grad_norm_:  total = || (||g_1||_p, ..., ||g_k||_p) ||_p  over all gradients,
                      every g scaled by min(1, max_norm / (total + 1e-6))
    clip_grad_value_: every gradient element clipped to [-clip_value, clip_value]

Everything stays on the gradients' device: the norms, the total and the scale
are 0-d arrays there, so clipping on a GPU never waits for it (only
error_if_nonfinite=True reads the total back, to decide whether to raise).
"""

import math

from ... import backend
from ...errors import ArgumentTypeError
from ...tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm(array, norm_type):
    """||array||_p as a 0-d array of array's dtype (NumPy scalars keep NumPy 1 and 2 from promoting it),
    with PyTorch's vector_norm meanings: inf the largest |x|, -inf the smallest, 0 the count of
    non-zeros, any other p (negative too) (sum |x|^p)^(1/p)."""
    xp, p = backend.xp_of(array), array.dtype.type(norm_type)
    if norm_type in (math.inf, -math.inf):
        if not array.size:
            return xp.zeros((), dtype=array.dtype)
        return xp.abs(array).max() if norm_type > 0 else xp.abs(array).min()
    if norm_type == 0:
        return (array != 0).sum().astype(array.dtype)
    if norm_type == 2.0:
        return xp.sqrt((array * array).sum())
    with backend.np.errstate(divide="ignore", over="ignore"):  # p < 0 at a zero: |0|^p = inf, the norm 0
        return (xp.abs(array) ** p).sum() ** (array.dtype.type(1.0) / p)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their total p-norm is at most max_norm.

    Returns the total norm before clipping, as a 0-d Tensor on the gradients'
    device (PyTorch's). With error_if_nonfinite=True a nan or inf total raises
    instead of filling the gradients with nan.
    """
    if isinstance(norm_type, str) and norm_type in ("inf", "-inf"):
        norm_type = float(norm_type)
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)):
        raise ArgumentTypeError(f"clip_grad_norm_: norm_type must be a number (inf, -inf, 0 or any p), "
                                f"got {norm_type!r}")
    norm_type = float(norm_type)
    grads = _grads(parameters)
    if not grads:
        return Tensor._make(backend.np.zeros((), dtype=backend.default_float()))
    devices = sorted({g.device for g in grads})
    if len(devices) > 1:
        raise backend.DeviceError(f"clip_grad_norm_: the gradients are on {', '.join(devices)}; clip the "
                                  "parameters of each device with their own call")
    dtype = grads[0].dtype
    xp, scalar = backend.xp_of(grads[0].array), dtype.type
    # in the gradients' dtype, as PyTorch, so float32 training clips by the same factor
    total = xp.asarray(_norm(xp.stack([_norm(g.array, norm_type).astype(dtype) for g in grads]), norm_type))
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           f"{total.item()}, so they cannot be clipped; pass error_if_nonfinite=False to clip "
                           "anyway (the gradients then become nan)")
    coef = xp.minimum(scalar(max_norm) / (total + scalar(1e-6)), scalar(1.0))
    for g in grads:
        g.data = Tensor._make(g.array * coef.astype(g.dtype, copy=False))
    return Tensor._make(total)


def clip_grad_value_(parameters, clip_value):
    """g <- clip(g, -clip_value, clip_value) for every gradient."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.data = Tensor._make(backend.xp_of(g.array).clip(g.array, -clip_value, clip_value))

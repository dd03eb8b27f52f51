"""Gradient clipping, applied to .grad in place between backward() and step().

    clip_grad_norm_:  total = || (||g_1||_p, ..., ||g_k||_p) ||_p  over all gradients,
                      every g scaled by min(1, max_norm / (total + 1e-6))
    clip_grad_value_: every gradient element clipped to [-clip_value, clip_value]
"""

import math

from ... import backend
from ...creation import tensor
from ...tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm(array, norm_type):
    xp = backend.xp_of(array)
    if norm_type == math.inf:
        return xp.abs(array).max() if array.size else xp.zeros((), dtype=array.dtype)
    if norm_type == 2.0:
        return xp.sqrt((array * array).sum())
    return (xp.abs(array) ** norm_type).sum() ** (1.0 / norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their total p-norm is at most max_norm.

    Returns the total norm before clipping, as a 0-d Tensor (PyTorch's). With
    error_if_nonfinite=True a nan or inf total raises instead of filling the
    gradients with nan.
    """
    norm_type = float(norm_type)
    grads = _grads(parameters)
    if not grads:
        return tensor(backend.np.zeros((), dtype=backend.float32))
    np, device, dtype = backend.np, grads[0].device, grads[0].dtype
    # in the gradients' dtype, as PyTorch, so float32 training clips by the same factor
    per_grad = np.stack([backend.to_numpy(_norm(g.array, norm_type)).astype(dtype) for g in grads])
    total = _norm(per_grad, norm_type)
    if error_if_nonfinite and not backend.np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, "
                           "so they cannot be clipped; pass error_if_nonfinite=False to clip anyway "
                           "(the gradients then become nan)")
    coef = np.minimum(np.asarray(max_norm, dtype=dtype) / (total + np.asarray(1e-6, dtype=dtype)), 1.0).astype(dtype)
    for g in grads:
        g.mul_(backend.as_array(coef, dtype=g.dtype, device=g.device))
    return tensor(backend.as_array(total, device=device))


def clip_grad_value_(parameters, clip_value):
    """g <- clip(g, -clip_value, clip_value) for every gradient."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.clamp_(-clip_value, clip_value)

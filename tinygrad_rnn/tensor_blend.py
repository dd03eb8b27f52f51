"""Blends PyTorch programs write for moving averages and optimizer-like updates, in and out of place:

    x.lerp(end, w)          x + w (end - x)   (PyTorch's two-sided form: end - (end - x)(1 - w) for w >= 0.5)
    x.addcmul(a, b, value)  x + value a b
    x.addcdiv(a, b, value)  x + value a / b

    with torch.no_grad():
        for ema_p, p in zip(ema.parameters(), model.parameters()):
            ema_p.lerp_(p, 0.01)           # or ema_p.mul_(0.99).add_(p, alpha=0.01)

Each is built from the engine's ops, so its gradient comes from ops already checked; the in-place
forms go through inplace.update like add_ and mul_ (recorded in the graph when a gradient is needed).
"""

from . import inplace
from .autograd import no_grad
from .errors import ArgumentTypeError


def _check(op, tensors=(), **operands):
    """Each operand a Tensor or a real number (those named in `tensors` a Tensor, as PyTorch asks),
    else the library's error naming it."""
    for name, value in operands.items():
        if hasattr(value, "_data"):
            continue
        if name in tensors:
            raise ArgumentTypeError(f"{op}: {name} must be a Tensor, got {type(value).__name__} {value!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ArgumentTypeError(f"{op}: {name} must be a Tensor or a number, got {type(value).__name__} "
                                    f"{value!r}")


def _lerp(start, end, weight):
    _check("lerp", input=start, end=end, weight=weight)
    diff = end - start
    if isinstance(weight, (int, float)):
        return start + diff * weight if weight < 0.5 else end - diff * (1 - weight)
    from .functions import where  # functions.py imports tensor.py
    return where(weight < 0.5, start + diff * weight, end - diff * (1 - weight))


def _addcmul(x, a, b, value=1):
    _check("addcmul", ("tensor1", "tensor2"), input=x, tensor1=a, tensor2=b, value=value)
    return x + a * b * value


def _addcdiv(x, a, b, value=1):
    _check("addcdiv", ("tensor1", "tensor2"), input=x, tensor1=a, tensor2=b, value=value)
    return x + a / b * value


def _in_place(target, name, fn, *operands, **kwargs):
    make = target._make

    def raw(array, *arrays):
        with no_grad():
            new = fn(make(array), *[make(a) if hasattr(a, "shape") else a for a in arrays], **kwargs)
        array[...] = new._data

    return inplace.update(target, name, lambda x, *ops: fn(x, *ops, **kwargs), *operands, raw=raw)


class BlendMethods:
    __slots__ = ()

    def lerp(self, end, weight): return _lerp(self, end, weight)
    def addcmul(self, tensor1, tensor2, *, value=1): return _addcmul(self, tensor1, tensor2, value)
    def addcdiv(self, tensor1, tensor2, *, value=1): return _addcdiv(self, tensor1, tensor2, value)

    def lerp_(self, end, weight):
        _check("lerp_", end=end, weight=weight)
        return _in_place(self, "lerp_", _lerp, end, weight)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        _check("addcmul_", ("tensor1", "tensor2"), tensor1=tensor1, tensor2=tensor2, value=value)
        return _in_place(self, "addcmul_", _addcmul, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        _check("addcdiv_", ("tensor1", "tensor2"), tensor1=tensor1, tensor2=tensor2, value=value)
        return _in_place(self, "addcdiv_", _addcdiv, tensor1, tensor2, value=value)


def lerp(input, end, weight):
    return _lerp(input, end, weight)


def addcmul(input, tensor1, tensor2, *, value=1):
    return _addcmul(input, tensor1, tensor2, value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    return _addcdiv(input, tensor1, tensor2, value)

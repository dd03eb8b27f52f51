"""Every differentiable op, each a small Function subclass written once for
NumPy and CuPy, plus the functional helpers built directly on them."""

from ..errors import OpError
from .arithmetic import Add, Div, Mul, Neg, Pow, Sub
from .matmul import MatMul
from .reduce import Max, Mean, Sum
from .select import Where
from .shape import Concat, GetItem, Reshape, Split, Stack, Transpose
from .softmax import LogSoftmax, Softmax
from .unary import Abs, Cast, Clip, Exp, Log, ReLU, Sigmoid, Sqrt, Tanh, ToDevice


def compare(name, a, b):
    """Elementwise comparison (numpy ufunc `name`) -> boolean Tensor, no gradient."""
    from ..autograd import _as_tensors
    from ..backend import xp_of
    from ..tensor import Tensor
    a, b = _as_tensors((a, b), name)
    if a.device != b.device:
        from ..autograd import _raise_device_mismatch
        _raise_device_mismatch(name, (a, b))
    return Tensor._make(getattr(xp_of(a.data), name)(a.data, b.data))


def concat(tensors, axis=0):
    """Join tensors along an existing axis."""
    tensors = list(tensors)
    if not tensors:
        raise OpError("concat: expected a non-empty list of tensors")
    return Concat.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    """Join tensors along a new axis."""
    tensors = list(tensors)
    if not tensors:
        raise OpError("stack: expected a non-empty list of tensors")
    return Stack.apply(*tensors, axis=axis)


def split(tensor, split_size_or_sections, axis=0):
    """Cut a tensor along `axis`: an int gives pieces of that size (the last may
    be smaller), a list gives the size of each piece (PyTorch's meaning)."""
    if not -tensor.ndim <= axis < tensor.ndim:
        raise OpError(f"split: axis {axis} is out of range for a tensor of shape {tuple(tensor.shape)}")
    n = tensor.shape[axis]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise OpError(f"split: the piece size must be positive, got {split_size_or_sections}")
        sizes = [min(split_size_or_sections, n - i) for i in range(0, n, split_size_or_sections)]
    else:
        sizes = list(split_size_or_sections)
    out = Split.apply(tensor, sizes=sizes, axis=axis)
    return list(out) if isinstance(out, tuple) else [out]


def where(cond, a, b):
    """a where cond else b; the gradient flows to the chosen branch."""
    from ..autograd import _scalar_like
    from ..backend import device_of, is_array
    from ..tensor import Tensor
    if isinstance(cond, Tensor):
        cond = cond.data
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):  # two numbers: a float32 result, as PyTorch
        a = Tensor(a, device=device_of(cond) if is_array(cond) else None)
    like = a if isinstance(a, Tensor) else b
    return Where.apply(Tensor._make(_scalar_like(cond, like)), a, b)


__all__ = [
    "Add", "Sub", "Mul", "Div", "Neg", "Pow", "MatMul", "Exp", "Log", "Tanh", "Sigmoid", "ReLU",
    "Abs", "Sqrt", "Clip", "Cast", "ToDevice", "Softmax", "LogSoftmax", "Sum", "Mean", "Max",
    "Reshape", "Transpose", "GetItem", "Concat", "Stack", "Split", "Where",
    "compare", "concat", "stack", "split", "where",
]

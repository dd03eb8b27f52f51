"""Functions of tensors at the module level, as PyTorch's torch.*: joining, choosing, math.

    tr.cat(tensors, dim=0)   tr.stack(tensors, dim=0)   tr.split(t, size, dim=0)   tr.chunk
    tr.where(cond, a, b)     tr.matmul(a, b)   tr.bmm(a, b)   tr.tril(x)   tr.triu(x)
    tr.exp(x), tr.tanh(x), tr.sin(x), ... (every pointwise method as a function too)

Each is the Tensor method or op of the same name, so the maths lives in one place.
"""

import builtins

from . import backend, dtypes, ops
from .errors import ArgumentTypeError, DimError, OpError
from .tensor import Tensor
from .tensor_methods import pick_dim


def _tensor_list(name, tensors):
    if isinstance(tensors, Tensor):
        raise OpError(f"{name}: expected a list or tuple of tensors, got a single Tensor")
    if not isinstance(tensors, (list, tuple)) and not hasattr(tensors, "__iter__"):
        raise ArgumentTypeError(f"{name}: expected a list or tuple of tensors, got {type(tensors).__name__}")
    tensors = list(tensors)
    if not tensors:
        raise OpError(f"{name}: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise OpError(f"{name}: item #{i} is a {type(t).__name__}, expected a Tensor")
    dtype = dtypes.result_type(*tensors)
    return [t if t.dtype == dtype else t.to(dtype) for t in tensors]


def _int_dim(name, dim):
    if isinstance(dim, bool) or not hasattr(dim, "__index__"):
        raise ArgumentTypeError(f"{name}: dim must be an int, got {dim!r}")
    return int(dim)


def cat(tensors, dim=None, *, axis=None):
    """Join tensors along an existing dimension (their dtypes promoted as PyTorch does)."""
    tensors = _tensor_list("cat", tensors)
    dim = _int_dim("cat", pick_dim("cat", dim, axis, 0))
    first = tensors[0].shape
    if not -len(first) <= dim < builtins.max(len(first), 1):
        raise DimError(f"cat: dim {dim} is out of range for tensors of shape {tuple(first)} "
                       f"(expected {-builtins.max(len(first), 1)} to {builtins.max(len(first), 1) - 1})")
    for i, t in enumerate(tensors):
        if t.ndim != len(first) or not -t.ndim <= dim < builtins.max(t.ndim, 1):
            raise OpError(f"cat: tensor #{i} has shape {tuple(t.shape)}; all must have {len(first)} dimensions "
                          f"and dim {dim} must exist (first: {tuple(first)})")
        if any(a != b for k, (a, b) in enumerate(zip(t.shape, first)) if k != dim % t.ndim):
            raise OpError(f"cat: tensor #{i} has shape {tuple(t.shape)}, which differs from tensor #0's shape "
                          f"{tuple(first)} outside dim {dim}")
    return ops.Concat.apply(*tensors, axis=dim)


concat = concatenate = cat


def stack(tensors, dim=None, *, axis=None):
    """Join tensors of one shape along a new dimension."""
    tensors = _tensor_list("stack", tensors)
    dim = _int_dim("stack", pick_dim("stack", dim, axis, 0))
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        listed = ", ".join(str(tuple(t.shape)) for t in tensors)
        raise OpError(f"stack: expected tensors of one shape, got shapes {listed}")
    if not -tensors[0].ndim - 1 <= dim <= tensors[0].ndim:
        raise DimError(f"stack: dim {dim} is out of range for tensors of shape {tuple(tensors[0].shape)}")
    return ops.Stack.apply(*tensors, axis=dim)


def _check_tensors(name, *tensors):
    for t in tensors:
        if not isinstance(t, Tensor):
            raise ArgumentTypeError(f"{name}: expected Tensors, got {type(t).__name__}")


def split(tensor, split_size_or_sections, dim=None, *, axis=None):
    _check_tensors("split", tensor)
    return tensor.split(split_size_or_sections, pick_dim("split", dim, axis, 0))


def chunk(tensor, chunks, dim=0):
    _check_tensors("chunk", tensor)
    return tensor.chunk(chunks, dim)


def where(condition, input, other):
    """input where condition else other (numbers allowed on either side); the gradient follows the choice."""
    if not isinstance(condition, Tensor):
        condition = Tensor._make(backend.as_array(condition))
    if condition.dtype.kind != "b":
        condition = Tensor._make(condition.array.astype(bool))
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else condition
    dtype = dtypes.result_type(input, other)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor) and dtype.kind in "fc":
        dtype = backend.np.dtype(backend.default_float())
    a = like._operand(input, dtype, "where")
    b = like._operand(other, dtype, "where")
    return ops.Where.apply(condition, a, b)


def matmul(input, other):
    _check_tensors("matmul", input)
    return input.matmul(other)


def mm(input, other):
    _check_tensors("mm", input, other)
    if input.ndim != 2 or other.ndim != 2:
        raise OpError(f"mm: expects two matrices, got shapes {tuple(input.shape)} and {tuple(other.shape)}")
    return input.matmul(other)


def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) -> (b, n, p)."""
    _check_tensors("bmm", input, mat2)
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0]:
        raise OpError(f"bmm: expects (b, n, m) and (b, m, p) with the same b, got {tuple(input.shape)} and "
                      f"{tuple(mat2.shape)}")
    return input.matmul(mat2)


def _triangle(name, x, diagonal, lower):
    if isinstance(diagonal, bool) or not isinstance(diagonal, int):
        raise ArgumentTypeError(f"{name}: diagonal must be an int, got {type(diagonal).__name__} {diagonal!r}")
    if not isinstance(x, Tensor):
        raise ArgumentTypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    if x.ndim < 2:
        raise OpError(f"{name}: expects at least 2 dimensions, got shape {tuple(x.shape)}")
    xp = backend.xp_of(x.array)
    n, m = x.shape[-2:]
    diagonal = builtins.min(builtins.max(diagonal, -n - 1), m + 1)  # beyond the matrix: all kept or all zero
    keep = xp.tri(n, m, diagonal, dtype=bool) if lower else ~xp.tri(n, m, diagonal - 1, dtype=bool)
    return where(Tensor._make(keep), x, x.new_zeros(()))  # zeros of x's dtype: a bool mask stays bool


def tril(input, diagonal=0):
    """The lower triangle (elements with column - row <= diagonal), zeros above."""
    return _triangle("tril", input, diagonal, True)


def triu(input, diagonal=0):
    """The upper triangle (elements with column - row >= diagonal), zeros below."""
    return _triangle("triu", input, diagonal, False)


def method_function(name):
    """tr.<name>(x, ...) as x.<name>(...), refusing what is not a Tensor (the module-level forms)."""
    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise ArgumentTypeError(f"{name}: expected a Tensor, got {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"tr.{name}(x, ...) is x.{name}(...)."
    return function


exp, log, tanh, sigmoid, relu, sin, cos, sqrt, abs, neg = (method_function(n) for n in (
    "exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sqrt", "abs", "neg"))
clamp = clip = method_function("clamp")
softmax, log_softmax = method_function("softmax"), method_function("log_softmax")
sum, mean, argmax, argmin = (method_function(n) for n in ("sum", "mean", "argmax", "argmin"))
max, min = method_function("max"), method_function("min")  # noqa: A001 (PyTorch's names)
reshape, flatten, squeeze, unsqueeze, transpose, permute, t = (method_function(n) for n in (
    "reshape", "flatten", "squeeze", "unsqueeze", "transpose", "permute", "t"))
gather, numel, clone = method_function("gather"), method_function("numel"), method_function("clone")
add, sub, mul, div, pow = (method_function(n) for n in ("add", "sub", "mul", "div", "pow"))
eq, ne, lt, le, gt, ge, equal = (method_function(n) for n in ("eq", "ne", "lt", "le", "gt", "ge", "equal"))

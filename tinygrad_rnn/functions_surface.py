"""More of PyTorch's module-level functions (torch.*), each the Tensor method of the same name
(tensor_surface.py), plus the small questions programs ask: tr.is_tensor, tr.is_floating_point,
tr.get_default_dtype, tr.result_type, tr.promote_types, tr.allclose, tr.Size.

    tr.cumsum(x, dim)   tr.sort(x, dim)   tr.topk(x, k)   tr.argsort(x)   tr.index_select(x, dim, idx)
    tr.multinomial(probs, n, replacement=False)   tr.maximum(a, b)   tr.minimum(a, b)
    tr.log1p, tr.expm1, tr.square, tr.rsqrt, tr.reciprocal, tr.sign, tr.floor, tr.ceil, tr.round, ...
"""

import builtins

from . import backend, dtypes, ops
from .autograd import no_grad, set_grad_enabled
from .errors import ArgumentTypeError, OpError
from .functions import method_function
from .tensor import Tensor
from .tensor_surface import Size  # noqa: F401 (exported as tr.Size)

(cumsum, sort, argsort, topk, index_select, multinomial, maximum, minimum, fmax, fmin, square, reciprocal, rsqrt,
 log1p, expm1, log2, log10, exp2, sign, floor, ceil, trunc, clamp_min, clamp_max, isnan, isinf, isfinite, var, std,
 norm, amax, amin, logsumexp, prod, flip, unbind, tile) = (method_function(n) for n in (
    "cumsum", "sort", "argsort", "topk", "index_select", "multinomial", "maximum", "minimum", "fmax", "fmin",
    "square", "reciprocal", "rsqrt", "log1p", "expm1", "log2", "log10", "exp2", "sign", "floor", "ceil", "trunc",
    "clamp_min", "clamp_max", "isnan", "isinf", "isfinite", "var", "std", "norm", "amax", "amin", "logsumexp",
    "prod", "flip", "unbind", "tile"))
floor_divide, remainder, fmod = method_function("floor_divide"), method_function("remainder"), method_function("fmod")
(tan, atan, asin, acos, sinh, cosh, arctan, arcsin, arccos, subtract, multiply, divide, true_divide, negative, absolute,
 greater, greater_equal, less, less_equal, not_equal, swapdims, swapaxes, broadcast_to, dot, outer, mv, select,
 movedim, moveaxis, unflatten, roll, repeat_interleave, masked_select, nonzero, argwhere, count_nonzero, diag,
 logical_and, logical_or, logical_xor, logical_not, isclose, nan_to_num, unique, bincount, bernoulli,
 narrow) = (method_function(n) for n in (
    "tan", "atan", "asin", "acos", "sinh", "cosh", "arctan", "arcsin", "arccos", "subtract", "multiply", "divide",
    "true_divide", "negative", "absolute", "greater", "greater_equal", "less", "less_equal", "not_equal", "swapdims",
    "swapaxes", "broadcast_to", "dot", "outer", "mv", "select", "movedim", "moveaxis", "unflatten", "roll",
    "repeat_interleave", "masked_select", "nonzero", "argwhere", "count_nonzero", "diag", "logical_and", "logical_or",
    "logical_xor", "logical_not", "isclose", "nan_to_num", "unique", "bincount", "bernoulli", "narrow"))


def einsum(equation, *operands):
    """Sums of products named by subscripts, as torch.einsum ("bij,bjk->bik", "i,j->ij", "...ij->...ji");
    operands may also come as one list. All must share one dtype and device, as in PyTorch."""
    from .ops.einsum import parse
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise OpError("einsum: expected at least one operand")
    for i, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise ArgumentTypeError(f"einsum: operand #{i} is a {type(t).__name__}, expected a Tensor")
    if len({t.dtype for t in operands}) > 1:
        raise OpError(f"einsum: the operands must share one dtype, got {', '.join(str(t.dtype) for t in operands)}")
    inputs, output = parse(equation, [t.shape for t in operands])
    return ops.Einsum.apply(*operands, inputs=inputs, output=output)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta input + alpha (mat1 @ mat2), as PyTorch."""
    product = mat1.mm(mat2)
    product = product if alpha == 1 else product * alpha
    return product + (input if beta == 1 else input * beta)
round = method_function("round")  # noqa: A001 (PyTorch's name)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def _tensor(name, input):
    if not isinstance(input, Tensor):
        raise ArgumentTypeError(f"{name}: expected a Tensor, got {type(input).__name__}")
    return input


def is_floating_point(input):
    return _tensor("is_floating_point", input).is_floating_point()


def get_default_dtype():
    """What Python floats and new float tensors become: float32 unless tr.set_default_dtype changed it."""
    return backend.default_float()


def result_type(tensor1, tensor2):
    """The dtype an elementwise op of these two (Tensors or numbers) gives, by PyTorch's rules."""
    return dtypes.result_type(tensor1, tensor2).type


def promote_types(type1, type2):
    return dtypes.promote(dtypes.check_dtype(type1, "promote_types"), dtypes.check_dtype(type2, "promote_types")).type


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when |input - other| <= atol + rtol |other| everywhere (a Python bool)."""
    return _tensor("allclose", input).allclose(other, rtol, atol, equal_nan)


def all(input, dim=None, keepdim=False):  # noqa: A001 (PyTorch's name)
    return _tensor("all", input).all(dim, keepdim)


def any(input, dim=None, keepdim=False):  # noqa: A001 (PyTorch's name)
    return _tensor("any", input).any(dim, keepdim)


def masked_fill(input, mask, value):
    return _tensor("masked_fill", input).masked_fill(mask, value)


def inference_mode(mode=True):
    """PyTorch's inference_mode: here the same as no_grad() (nothing recorded)."""
    if not isinstance(mode, builtins.bool):
        raise OpError(f"inference_mode: mode must be True or False, got {mode!r}")
    return no_grad() if mode else set_grad_enabled(True)


def one_hot(tensor, num_classes=-1):
    """F.one_hot: integer class ids (any shape) -> int64 (..., num_classes) with a 1 at each id;
    num_classes=-1 takes max id + 1. Ids are read back once to check their range, as PyTorch."""
    if not isinstance(tensor, Tensor) or tensor.dtype.kind not in "iu":
        kind = tensor.dtype if isinstance(tensor, Tensor) else type(tensor).__name__
        raise OpError(f"one_hot: expects an integer tensor of class ids, got {kind}")
    if isinstance(num_classes, builtins.bool) or not isinstance(num_classes, builtins.int):
        raise ArgumentTypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    ids = tensor.array
    xp = backend.xp_of(ids)
    low, high = (builtins.int(ids.min()), builtins.int(ids.max())) if ids.size else (0, -1)
    if num_classes == -1:
        num_classes = high + 1
    if low < 0:
        raise OpError(f"one_hot: class ids must be non-negative, got {low}")
    if high >= num_classes:
        raise OpError(f"one_hot: class id {high} is not smaller than num_classes = {num_classes}")
    return Tensor._make((ids[..., None] == xp.arange(num_classes)).astype(dtypes.int64))

"""Data types: PyTorch's names for NumPy's dtypes, and PyTorch's promotion rules.

A dtype here *is* NumPy's (`tr.float32 is numpy.float32`), so `t.dtype == tr.float32`
and `dtype=tr.long` work as in PyTorch and arrays need no translation.

Promotion follows torch.result_type, which differs from NumPy's in two ways that
matter every day:

    int64 tensor + float32 tensor  -> float32   (NumPy: float64)
    float32 tensor + 2.5 (a Python float, or a 0-d float64 tensor)  -> float32

Operands fall in three groups: tensors with dimensions, 0-d tensors, and Python
numbers. Within a group the usual table applies (the wider type of the highest
category: bool < integer < floating point); a 0-d tensor or a number changes
the result only when its category is higher than every dimensioned operand's,
and a Python float then counts as the default float32.
"""

from . import backend
from .backend import np
from .errors import ArgumentTypeError, OpError

float16 = np.float16
float32 = np.float32
float64 = np.float64
int8 = np.int8
int16 = np.int16
int32 = np.int32
int64 = np.int64
uint8 = np.uint8
bool_ = np.bool_

# PyTorch's aliases (tr.float, tr.long, ...) are exported under those names by __init__.py
ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16, "int": int32, "long": int64,
           "bool": bool_}

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def category(dtype):
    """0 bool, 1 integer, 2 floating point, 3 complex."""
    return _CATEGORY[np.dtype(dtype).kind]


def promote(a, b):
    """The result dtype of two dtypes of one group: the higher category wins, else the wider type."""
    if a is None:
        return b
    if b is None:
        return a
    a, b = np.dtype(a), np.dtype(b)
    ca, cb = category(a), category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _combine(higher, lower):
    """torch's combine_categories: `lower` (a group of lower priority) counts only with a higher category."""
    if higher is None:
        return lower
    if lower is None or category(higher) >= 2:
        return higher
    if category(higher) == 0 or category(lower) >= 2:
        return promote(higher, lower)
    return higher


def number_dtype(x):
    """The dtype a Python number stands for in promotion: bool, int64 or the default float (float32)."""
    if isinstance(x, bool):
        return np.dtype(bool_)
    if isinstance(x, int):
        return np.dtype(int64)
    if isinstance(x, complex):
        return np.dtype(np.complex64)
    return np.dtype(backend.default_float())


def result_type(*operands):
    """The dtype an elementwise op on these operands (Tensors or Python numbers) produces."""
    dimensioned = zero_dim = numbers = None
    for x in operands:
        if hasattr(x, "_data"):
            if x._data.ndim:
                dimensioned = promote(dimensioned, x._data.dtype)
            else:
                zero_dim = promote(zero_dim, x._data.dtype)
        else:
            numbers = promote(numbers, number_dtype(x))
    return _combine(dimensioned, _combine(zero_dim, numbers))


def check_dtype(dtype, op):
    """A dtype argument as a NumPy dtype, or the library's error naming the op."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ArgumentTypeError(f"{op}: {dtype!r} is not a dtype; use e.g. tr.float32, tr.int64 or tr.bool") from None
    if dt.kind not in "biufc":
        raise OpError(f"{op}: dtype {dt} is not supported; tensors hold numbers or booleans")
    return dt


def set_default_dtype(dtype):
    """PyTorch's torch.set_default_dtype: the dtype Python floats and new float tensors (tr.zeros,
    tr.tensor([1.5]), layers' parameters) get from now on; float32, float64 or float16."""
    if dtype is None:  # np.dtype(None) would read as float64
        raise ArgumentTypeError("set_default_dtype: give a dtype (tr.float32, tr.float64 or tr.float16), got None")
    dt = check_dtype(dtype, "set_default_dtype")
    if dt.kind != "f":
        raise ArgumentTypeError(f"set_default_dtype: only floating-point dtypes can be the default "
                                f"(tr.float32, tr.float64, tr.float16), got {dt}")
    backend._default_float[0] = dt.type


def finfo(dtype=None):
    """PyTorch's torch.finfo: eps, max, min, tiny, resolution, bits of a float dtype (the default one
    when none is given)."""
    dt = check_dtype(backend.default_float() if dtype is None else dtype, "finfo")
    if dt.kind != "f":
        raise ArgumentTypeError(f"finfo: needs a floating-point dtype, got {dt}; use tr.iinfo for integers")
    return np.finfo(dt)


def iinfo(dtype):
    """PyTorch's torch.iinfo: max, min, bits of an integer dtype."""
    dt = check_dtype(dtype, "iinfo")
    if dt.kind not in "iu":
        raise ArgumentTypeError(f"iinfo: needs an integer dtype, got {dt}; use tr.finfo for floats")
    return np.iinfo(dt)


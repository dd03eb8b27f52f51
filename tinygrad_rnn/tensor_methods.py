"""The Tensor's operators and methods, grouped by kind; each is an op of tinygrad_rnn/ops.

Tensor (tensor.py) inherits them from TensorMethods, so this file needs no import
of tensor.py and there is no import cycle: a new tensor is made with `self._make`.
PyTorch's names and argument names come first (dim=, keepdim=); NumPy's spellings
(axis=, keepdims=) are accepted as aliases. In-place methods end in `_`; how they
keep gradients right is tinygrad_rnn/inplace.py's story.
"""

import math
from collections import namedtuple

from . import backend, dtypes, inplace, ops
from .errors import ArgumentTypeError, DimError, OpError

# what max(dim) and min(dim) return, as PyTorch's torch.return_types.max
MinMax = namedtuple("MinMax", ["values", "indices"])

_constants = {}


def constant(value, dtype, like):
    """A 0-d array holding a Python number, made once per (value, dtype, device): the
    `2` in `x * 2` is not uploaded to the GPU again at every step."""
    key = (type(value), value, dtype, type(like))
    array = _constants.get(key)
    if array is None:
        if len(_constants) > 4096:
            _constants.clear()
        try:
            array = backend.xp_of(like).asarray(value, dtype=dtype)
        except OverflowError:  # uint8 tensor + -1: the number wraps around into the dtype, as PyTorch
            array = backend.xp_of(like).asarray(backend.np.array(value).astype(dtype))
        _constants[key] = array
    return array


def pick_dim(name, dim, axis, default=None):
    """dim= (PyTorch) or axis= (NumPy): either spelling, not both."""
    if axis is None:
        return default if dim is None else dim
    if dim is not None and dim != axis:
        raise OpError(f"{name}: got both dim={dim!r} and axis={axis!r}; they are the same argument")
    return axis


def _sizes(name, sizes):
    """(2, 3), ((2, 3),) or ([2, 3],) -> (2, 3), every entry an int."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    for n in sizes:
        if not isinstance(n, int) and not (hasattr(n, "__index__") and not isinstance(n, float)):
            raise ArgumentTypeError(f"{name}: sizes must be ints, got {sizes!r}")
    return tuple(int(n) for n in sizes)


def _number(name, what, value):
    """value as a float, or ArgumentTypeError naming the op."""
    if isinstance(value, bool) or not isinstance(value, (int, float, backend.np.integer, backend.np.floating)):
        raise ArgumentTypeError(f"{name}: {what} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


def _keepdim(name, keepdim):
    """keepdim as a bool, or ArgumentTypeError naming the op (PyTorch's TypeError)."""
    if not isinstance(keepdim, (bool, backend.np.bool_)):
        raise ArgumentTypeError(f"{name}: keepdim must be True or False, got {type(keepdim).__name__} {keepdim!r}")
    return bool(keepdim)


def _dim_index(name, dim, shape):
    """dim (negatives count from the end) as an index into shape, or the error naming both."""
    ndim = len(shape)
    if isinstance(dim, bool) or not isinstance(dim, int) and not hasattr(dim, "__index__"):
        raise ArgumentTypeError(f"{name}: dim must be an int, got {dim!r}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise DimError(f"{name}: dim {dim} is out of range for a tensor of shape {tuple(shape)} "
                       f"(expected {-max(ndim, 1)} to {max(ndim, 1) - 1})")
    return int(dim) % max(ndim, 1)


def tensor_arg(name, other):
    """other, when it is a tensor; else the library's TypeError naming the op."""
    if not isinstance(other, TensorMethods):
        raise ArgumentTypeError(f"{name}: expected a Tensor, got {type(other).__name__}")
    return other


class TensorMethods:
    __slots__ = ()

    # ---- operands and promotion ----------------------------------------------
    def _operand(self, other, dtype, op):
        """other (Tensor, number or array) as a Tensor of `dtype` on self's device."""
        if isinstance(other, TensorMethods):
            if type(other._data) is not type(self._data):
                raise backend.DeviceError(f"{op}: all inputs must be on the same device, got {self.device}, "
                                          f"{other.device} (shapes {tuple(self.shape)} and {tuple(other.shape)}); "
                                          "move them with .to(device) first")
        elif isinstance(other, (int, float, bool, backend.np.generic)):
            value = other.item() if isinstance(other, backend.np.generic) else other
            return self._make(constant(value, dtype, self._data))
        elif backend.is_array(other):
            other = self._make(backend.as_array(other, device=self.device))
        else:
            raise ArgumentTypeError(f"{op}: cannot use an input of type {type(other).__name__}; "
                                    "expected a Tensor, an array or a number")
        return other if other._data.dtype == dtype else ops.Cast.apply(other, dtype=dtype)

    def _binary(self, other, op, reverse=False, floating=False):
        """self (op) other with PyTorch's type promotion (dtypes.py); floating: ints become float32."""
        dtype = self._data.dtype
        if isinstance(other, TensorMethods) and other._data.dtype == dtype and not (floating and dtype.kind in "biu"):
            a, b = self, other
        elif type(other) is float and dtype.kind == "f":  # the common `x * 0.5`: no promotion to work out
            a, b = self, self._make(constant(other, dtype, self._data))
        else:
            if not isinstance(other, (TensorMethods, int, float, bool, backend.np.generic)):
                other = self._operand(other, dtype, op.__name__.lower())
            dtype = dtypes.result_type(self, other)
            if floating and dtype.kind in "biu":
                dtype = backend.np.dtype(dtypes.float32)
            a = self if self._data.dtype == dtype else ops.Cast.apply(self, dtype=dtype)
            b = a._operand(other, dtype, op.__name__.lower())
        return op.apply(b, a) if reverse else op.apply(a, b)

    # ---- arithmetic ----------------------------------------------------------
    def __add__(self, other): return self._binary(other, ops.Add)
    def __radd__(self, other): return self._binary(other, ops.Add, reverse=True)
    def __sub__(self, other): return self._binary(other, ops.Sub)
    def __rsub__(self, other): return self._binary(other, ops.Sub, reverse=True)
    def __mul__(self, other): return self._binary(other, ops.Mul)
    def __rmul__(self, other): return self._binary(other, ops.Mul, reverse=True)
    def __truediv__(self, other): return self._binary(other, ops.Div, floating=True)
    def __rtruediv__(self, other): return self._binary(other, ops.Div, reverse=True, floating=True)
    def __pow__(self, other): return self._binary(other, ops.Pow)
    def __rpow__(self, other): return self._binary(other, ops.Pow, reverse=True)
    def __neg__(self): return ops.Neg.apply(self)
    def __abs__(self): return ops.Abs.apply(self)
    def __pos__(self): return self

    def add(self, other, *, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other): return self * other
    def div(self, other): return self / other
    def pow(self, exponent): return self ** exponent
    def neg(self): return -self

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return self._operand(other, self._data.dtype, "matmul").matmul(self)

    def matmul(self, other):
        """self @ other; both must have the same dtype (as PyTorch: int @ float is an error)."""
        if not isinstance(other, TensorMethods):
            other = self._operand(other, self._data.dtype, "matmul")
        if other._data.dtype != self._data.dtype:
            raise OpError(f"matmul: expected both operands to have the same dtype, got {self.dtype} and "
                          f"{other.dtype} (shapes {tuple(self.shape)} and {tuple(other.shape)}); convert one "
                          "with .to(dtype) or .float()")
        return ops.MatMul.apply(self, other)

    # ---- comparisons: boolean tensors, no gradient -----------------------------
    def _compare(self, other, ufunc):
        dtype = dtypes.result_type(self, other)
        a = self._data if self._data.dtype == dtype else self._data.astype(dtype)
        b = self._operand(other, dtype, ufunc)._data
        xp = backend.xp_of(a)
        try:
            return self._make(xp.asarray(getattr(xp, ufunc)(a, b)))
        except ValueError:
            raise OpError(f"{ufunc}: shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast together") from None

    def __lt__(self, other): return self._compare(other, "less")
    def __le__(self, other): return self._compare(other, "less_equal")
    def __gt__(self, other): return self._compare(other, "greater")
    def __ge__(self, other): return self._compare(other, "greater_equal")
    def __eq__(self, other): return self._compare(other, "equal")
    def __ne__(self, other): return self._compare(other, "not_equal")
    __hash__ = object.__hash__
    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__

    def equal(self, other):
        """True when both have the same shape and elements (a Python bool, as torch.equal)."""
        tensor_arg("equal", other)
        return tuple(self.shape) == tuple(other.shape) and bool((self == other)._data.all())

    def all(self, dim=None, keepdim=False):
        if dim is not None:
            ops.normalize_axes(dim, self._data.ndim, "all")
        keepdim = _keepdim("all", keepdim)
        dim = tuple(dim) if isinstance(dim, list) else dim
        out = self._data.astype(bool).all(axis=dim, keepdims=keepdim)
        return self._make(backend.xp_of(self._data).asarray(out))

    def any(self, dim=None, keepdim=False):
        if dim is not None:
            ops.normalize_axes(dim, self._data.ndim, "any")
        keepdim = _keepdim("any", keepdim)
        dim = tuple(dim) if isinstance(dim, list) else dim
        out = self._data.astype(bool).any(axis=dim, keepdims=keepdim)
        return self._make(backend.xp_of(self._data).asarray(out))

    # ---- Python numbers and containers ---------------------------------------
    def __bool__(self):
        if self._data.size != 1:
            raise OpError(f"bool: the truth value of a tensor of shape {tuple(self.shape)} is ambiguous; "
                          "use .all() or .any()")
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.size != 1 or self._data.dtype.kind not in "iub":
            raise ArgumentTypeError(f"index: only a one-element integer tensor can be used as an index, got shape "
                                    f"{tuple(self.shape)} and dtype {self.dtype}")
        return int(self.item())

    def __format__(self, spec):
        """f"{loss:.4f}" formats a one-element tensor as its number."""
        if spec and self._data.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        """The slices along the first axis, each a differentiable t[i] (as PyTorch)."""
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    # ---- dtype and device ----------------------------------------------------
    def to(self, *args, **kwargs):
        """to(device), to(dtype), to(device, dtype), to(other tensor), to(device=..., dtype=...):
        this tensor converted (itself when nothing changes); differentiable."""
        device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise OpError(f"to: unexpected arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, TensorMethods):
                device, dtype = a.device, a.dtype
            elif isinstance(a, str):
                device = a
            else:
                dtype = a
        out = self
        if dtype is not None:
            dtype = dtypes.check_dtype(dtype, "to")
            if dtype != out.dtype:
                out = ops.Cast.apply(out, dtype=dtype)
        if device is not None:
            device = backend.check_device(str(device).split(":")[0])
            if device != out.device:
                out = ops.ToDevice.apply(out, device=device)
        return out.clone() if copy and out is self else out

    def type(self, dtype=None):
        """The type name as PyTorch spells it (with no argument), or this tensor as `dtype`."""
        if dtype is None:
            names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                     "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
            prefix = "torch.cuda." if self.device == "cuda" else "torch."
            return f"{prefix}{names.get(str(self.dtype), str(self.dtype))}Tensor"
        return self.to(dtype)

    def astype(self, dtype):
        return self.to(dtype)

    def float(self): return self.to(dtypes.float32)
    def double(self): return self.to(dtypes.float64)
    def half(self): return self.to(dtypes.float16)
    def long(self): return self.to(dtypes.int64)
    def int(self): return self.to(dtypes.int32)
    def bool(self): return self.to(dtypes.bool_)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda")

    def clone(self):
        """A copy in new memory, still in the graph (d clone = g)."""
        return ops.Clone.apply(self)

    def contiguous(self):
        """This tensor if its memory is in C order, else a C-ordered copy (in the graph)."""
        return self if self._data.flags.c_contiguous else ops.Clone.apply(self)

    def is_contiguous(self):
        return bool(self._data.flags.c_contiguous)

    # ---- size ----------------------------------------------------------------
    def size(self, dim=None):
        """The shape (a tuple), or the size of one dimension."""
        if dim is None:
            return tuple(self._data.shape)
        return self._data.shape[_dim_index("size", dim, self.shape)]

    def dim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    # ---- pointwise -----------------------------------------------------------
    def exp(self): return ops.Exp.apply(self._floating("exp"))
    def log(self): return ops.Log.apply(self._floating("log"))
    def tanh(self): return ops.Tanh.apply(self._floating("tanh"))
    def sigmoid(self): return ops.Sigmoid.apply(self._floating("sigmoid"))
    def sin(self): return ops.Sin.apply(self._floating("sin"))
    def cos(self): return ops.Cos.apply(self._floating("cos"))
    def sqrt(self): return ops.Sqrt.apply(self._floating("sqrt"))
    def relu(self): return ops.ReLU.apply(self)
    def abs(self): return ops.Abs.apply(self)

    def _floating(self, op):
        """Integer inputs of transcendental functions become float32, as PyTorch."""
        return self if self._data.dtype.kind in "fc" else self.to(dtypes.float32)

    def clamp(self, min=None, max=None):
        """Values limited to [min, max] (either may be None);  d = g inside the range, else 0."""
        if min is None and max is None:
            raise OpError("clamp: at least one of min and max must be given")
        bounds = [b for b in (min, max) if b is not None]
        if any(isinstance(b, TensorMethods) for b in bounds):  # tensor bounds: elementwise max and min
            out = self if min is None else self.maximum(min)
            return out if max is None else out.minimum(max)
        dtype = dtypes.result_type(self, *bounds)  # an int tensor clamped to 0.5 is float32, as PyTorch
        x = self if self._data.dtype == dtype else self.to(dtype)
        return ops.Clip.apply(x, low=min, high=max)

    clip = clamp

    def softmax(self, dim=None, *, axis=None):
        dim = _dim_index("softmax", pick_dim("softmax", dim, axis, -1), self.shape)
        return ops.Softmax.apply(self._floating("softmax"), axis=dim)

    def log_softmax(self, dim=None, *, axis=None):
        dim = _dim_index("log_softmax", pick_dim("log_softmax", dim, axis, -1), self.shape)
        return ops.LogSoftmax.apply(self._floating("log_softmax"), axis=dim)

    # ---- reductions ----------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "bu" or x._data.dtype.kind == "i" and x._data.dtype != dtypes.int64:
            x = x.to(dtypes.int64)  # PyTorch sums integers and booleans as int64
        keep = _keepdim("sum", keepdim if keepdims is None else keepdims)
        return ops.Sum.apply(x, axis=pick_dim("sum", dim, axis), keepdims=keep)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind not in "fc":
            raise OpError(f"mean: the input must be floating point, got dtype {x.dtype}; use .float() first "
                          "(or dtype=tr.float32)")
        keep = _keepdim("mean", keepdim if keepdims is None else keepdims)
        return ops.Mean.apply(x, axis=pick_dim("mean", dim, axis), keepdims=keep)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """max() -> the largest element; max(dim) -> (values, indices) along dim, as PyTorch."""
        return self._extreme(ops.Max, "argmax", dim, keepdim, axis, keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """min() -> the smallest element; min(dim) -> (values, indices) along dim, as PyTorch."""
        return self._extreme(ops.Min, "argmin", dim, keepdim, axis, keepdims)

    def _extreme(self, op, pick, dim, keepdim, axis, keepdims):
        if isinstance(dim, TensorMethods):  # torch.max(a, b): the elementwise maximum, as PyTorch
            return self.maximum(dim) if pick == "argmax" else self.minimum(dim)
        dim = pick_dim(pick[3:], dim, axis)
        keepdim = _keepdim(pick[3:], keepdim if keepdims is None else keepdims)
        if dim is None or axis is not None:  # NumPy's spelling returns the values only, as NumPy does
            return op.apply(self, axis=dim, keepdims=keepdim)
        values = op.apply(self, axis=dim, keepdims=keepdim)
        return MinMax(values, getattr(self, pick)(dim, keepdim))

    def argmax(self, dim=None, keepdim=False, *, axis=None):
        return self._arg("argmax", pick_dim("argmax", dim, axis), keepdim)

    def argmin(self, dim=None, keepdim=False, *, axis=None):
        return self._arg("argmin", pick_dim("argmin", dim, axis), keepdim)

    def _arg(self, name, dim, keepdim):
        a = self._data
        if a.size == 0:
            raise OpError(f"{name}: cannot take the {name} of an empty tensor (shape {tuple(a.shape)})")
        if dim is None:
            out = getattr(a, name)()
            out = out.reshape((1,) * a.ndim) if keepdim else out
        else:
            dim = _dim_index(name, dim, a.shape)
            out = getattr(a, name)(axis=dim)
            if keepdim:
                out = backend.xp_of(a).expand_dims(out, dim)
        return self._make(backend.xp_of(a).asarray(out, dtype=dtypes.int64))

    # ---- shape ---------------------------------------------------------------
    def reshape(self, *shape):
        return ops.Reshape.apply(self, shape=_sizes("reshape", shape))

    def view(self, *shape):
        """The same memory with a new shape; refuses where that needs a copy (use reshape)."""
        return ops.Reshape.apply(self, shape=_sizes("view", shape), view=True)

    def view_as(self, other):
        return self.view(tensor_arg("view_as", other).shape)

    def reshape_as(self, other):
        return self.reshape(tensor_arg("reshape_as", other).shape)

    def flatten(self, start_dim=0, end_dim=-1):
        n = self._data.ndim
        if n == 0:
            return self.reshape(1)
        start, end = _dim_index("flatten", start_dim, self.shape), _dim_index("flatten", end_dim, self.shape)
        if start > end:
            raise OpError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape
        return self.reshape(shape[:start] + (-1,) + shape[end + 1:])

    def permute(self, *dims):
        """Reorder all axes: `x.permute(1, 0, 2)`."""
        dims = _sizes("permute", dims)
        axes = tuple(_dim_index("permute", d, self.shape) for d in dims)
        if len(axes) != self._data.ndim or len(set(axes)) != len(axes):
            raise OpError(f"permute: {dims} is not a permutation of the {self._data.ndim} dims of a tensor of "
                          f"shape {tuple(self.shape)} (each dim exactly once)")
        return ops.Transpose.apply(self, axes=axes)

    def transpose(self, dim0=-2, dim1=-1):
        """Swap two axes (PyTorch's meaning); `permute` takes any permutation."""
        n = self._data.ndim
        axes = list(range(n))
        d0, d1 = _dim_index("transpose", dim0, self.shape), _dim_index("transpose", dim1, self.shape)
        if n:
            axes[d0], axes[d1] = axes[d1], axes[d0]
        return ops.Transpose.apply(self, axes=tuple(axes))

    swapaxes = transpose

    def t(self):
        """The transpose of a matrix (a 0-d or 1-D tensor is returned as it is), as PyTorch."""
        if self._data.ndim > 2:
            raise OpError(f"t: expects a tensor with at most 2 dimensions, got shape {tuple(self.shape)}; "
                          "use .transpose(dim0, dim1) or .permute(...)")
        return self if self._data.ndim < 2 else self.transpose(0, 1)

    @property
    def T(self):
        return ops.Transpose.apply(self, axes=tuple(range(self._data.ndim))[::-1])

    def unsqueeze(self, dim):
        """Insert an axis of size 1 at `dim` (-ndim-1 <= dim <= ndim, as PyTorch)."""
        n = self._data.ndim
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise ArgumentTypeError(f"unsqueeze: dim must be an int, got {dim!r}")
        if not -n - 1 <= dim <= n:
            raise DimError(f"unsqueeze: dim {dim!r} is out of range for a tensor of shape {tuple(self.shape)} "
                           f"(expected {-n - 1} to {n})")
        shape = list(self.shape)
        shape.insert(dim if dim >= 0 else n + dim + 1, 1)
        return self.reshape(tuple(shape))

    def squeeze(self, dim=None):
        """Drop axes of size 1 (all of them, or `dim` if it has size 1)."""
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        shape = list(self.shape)
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        for d in sorted({_dim_index("squeeze", d, self.shape) for d in dims}, reverse=True):
            if shape and shape[d] == 1:
                del shape[d]
        return self.reshape(tuple(shape))

    def expand(self, *sizes):
        """A view repeating axes of size 1 (no copy); -1 keeps an axis as it is."""
        sizes = _sizes("expand", sizes)
        lead = len(sizes) - self._data.ndim
        if lead < 0:
            raise OpError(f"expand: the new shape {sizes} has fewer dimensions than the tensor's "
                          f"{tuple(self.shape)}")
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        return ops.Expand.apply(self, shape=shape)

    def expand_as(self, other):
        return self.expand(tensor_arg("expand_as", other).shape)

    def split(self, split_size_or_sections, dim=None, *, axis=None):
        """Cut along `dim`: an int gives pieces of that size (the last may be smaller), a list the size of
        each piece (PyTorch's meaning)."""
        if self._data.ndim == 0:
            raise DimError("split: a 0-d tensor has no dimension to split")
        dim = _dim_index("split", pick_dim("split", dim, axis, 0), self.shape)
        n = self.shape[dim]
        size = split_size_or_sections
        if isinstance(size, int) and not isinstance(size, bool):
            if size < 0 or size == 0 and n:
                raise OpError(f"split: the piece size must be positive, got {size} (0 splits only a dim of size 0; "
                              f"dim {dim} of shape {tuple(self.shape)} has {n})")
            sizes = [min(size, n - i) for i in range(0, n, size)] if size else [0]
            sizes = sizes or [0]
        else:
            if not isinstance(size, (list, tuple)):
                raise ArgumentTypeError(f"split: split_size_or_sections must be an int or a list of ints, "
                                        f"got {type(size).__name__} {size!r}")
            sizes = list(size)
            if any(not isinstance(s, int) or s < 0 for s in sizes):
                raise OpError(f"split: sizes must be non-negative ints, got {size!r}")
        out = ops.Split.apply(self, sizes=sizes, axis=dim)
        return tuple(out) if isinstance(out, tuple) else (out,)

    def chunk(self, chunks, dim=0):
        """`chunks` pieces of equal size along dim (the last may be smaller), as PyTorch."""
        if isinstance(chunks, bool) or not isinstance(chunks, int):
            raise ArgumentTypeError(f"chunk: chunks must be an int, got {chunks!r}")
        if chunks <= 0:
            raise OpError(f"chunk: chunks must be a positive int, got {chunks!r}")
        n = self.shape[_dim_index("chunk", dim, self.shape)]
        return self.split(max(-(-n // chunks), 1), dim)

    def narrow(self, dim, start, length):
        """The slice start:start + length along dim (a view), as PyTorch."""
        dim = _dim_index("narrow", dim, self.shape)
        for name, value in (("start", start), ("length", length)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ArgumentTypeError(f"narrow: {name} must be an int, got {value!r}")
        size = self.shape[dim] if self._data.ndim else 1
        start = start + size if -size <= start < 0 else start
        if length < 0 or not 0 <= start <= size or start + length > size:
            raise OpError(f"narrow: start {start} and length {length} do not fit in dim {dim} of size {size} "
                          f"(tensor of shape {tuple(self.shape)}); expected 0 <= start, length >= 0 and "
                          "start + length <= size")
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    # ---- indexing ------------------------------------------------------------
    def _index_items(self, index):
        """Tensors inside an index become (private copies of) their arrays; the rest is the op's to check."""
        items = index if isinstance(index, tuple) else (index,)
        if not any(isinstance(i, TensorMethods) for i in items):
            return index
        out = []
        for i in items:
            if isinstance(i, TensorMethods):
                if type(i._data) is not type(self._data) and i.device != "cpu":
                    raise backend.DeviceError(f"getitem: the index is on {i.device} but the tensor is on "
                                              f"{self.device}; move the index with .to('{self.device}')")
                # a private copy: the graph keeps it, and a later change of the index tensor must not reach it
                # (a host index for a GPU tensor is checked on the host and uploaded by the op)
                i = i._data.copy()
            out.append(i)
        return tuple(out) if isinstance(index, tuple) else out[0]

    def __getitem__(self, index):
        return ops.GetItem.apply(self, index=self._index_items(index))

    def __setitem__(self, index, value):
        """x[index] = value, recorded in the graph: gradients reach value and x's other elements."""
        index = self._index_items(index)
        value = self._fill_value(value, "setitem")

        def raw(a, v):
            a[ops.index_arrays(index, a)] = v

        inplace.update(self, "setitem", ops.SetItem.apply, value, raw=raw, index=index)

    def gather(self, dim, index):
        """out[i][j] = self[index[i][j]][j] for dim = 0 (and alike for other dims), as torch.gather."""
        return ops.Gather.apply(self, self._index_tensor(index, "gather"), dim=dim)

    def _index_tensor(self, index, op):
        if not isinstance(index, TensorMethods):
            index = self._make(backend.as_array(index, device=self.device))
        if type(index._data) is not type(self._data):
            raise backend.DeviceError(f"{op}: the index is on {index.device} but the tensor is on {self.device}")
        return index

    # ---- in place ------------------------------------------------------------
    def _fill_value(self, value, op):
        """A value written into this tensor: a number as-is (cast by the write), a tensor of this dtype."""
        if isinstance(value, (int, float, bool, backend.np.generic)):
            return self._make(constant(value.item() if isinstance(value, backend.np.generic) else value,
                                       self._data.dtype, self._data))
        value = self._operand(value, value.dtype if hasattr(value, "dtype") else self.dtype, op)
        if value._data.dtype != self._data.dtype:
            if not backend.np.can_cast(value.dtype, self.dtype, "same_kind"):
                raise OpError(f"{op}: cannot write values of dtype {value.dtype} into a tensor of dtype "
                              f"{self.dtype}; convert them first (e.g. .to({self.dtype}))")
            value = ops.Cast.apply(value, dtype=self.dtype)
        return value

    def _update(self, name, op, other=None, ufunc=None, alpha=1):
        """self <- self (op) other in place; the raw form is the ufunc with out=self's array."""
        xp_name = ufunc
        if other is not None:
            result = dtypes.result_type(self, other)
            if ufunc == "true_divide" and result.kind in "biu":
                result = backend.np.dtype(dtypes.float32)
            if dtypes.category(result) > dtypes.category(self._data.dtype):  # PyTorch's rule for in-place ops
                raise OpError(f"{name}: result type {result} can't be cast to the desired output type "
                              f"{self.dtype} (an in-place op keeps the tensor's dtype; shape {tuple(self.shape)}); "
                              f"use the out-of-place op, or convert first with .to({result})")
        if other is None:
            return inplace.update(self, name, op.apply, raw=lambda a: getattr(backend.xp_of(a), xp_name)(a, out=a))
        if alpha != 1:
            other = other * alpha
        if not isinstance(other, (int, float, bool, backend.np.generic)):
            other = self._fill_value(other, name)  # a number stays one: the ufunc refuses 0.5 into an int tensor

        def raw(a, b):
            getattr(backend.xp_of(a), xp_name)(a, b, out=a, casting="same_kind")

        return inplace.update(self, name, op.apply, other, raw=raw)

    def add_(self, other, *, alpha=1): return self._update("add_", ops.Add, other, "add", alpha)
    def sub_(self, other, *, alpha=1): return self._update("sub_", ops.Sub, other, "subtract", alpha)
    def mul_(self, other): return self._update("mul_", ops.Mul, other, "multiply")
    def div_(self, other): return self._update("div_", ops.Div, other, "true_divide")
    def pow_(self, exponent): return self._update("pow_", ops.Pow, exponent, "power")
    def neg_(self): return self._update("neg_", ops.Neg, ufunc="negative")
    def exp_(self): return self._update("exp_", ops.Exp, ufunc="exp")
    def tanh_(self): return self._update("tanh_", ops.Tanh, ufunc="tanh")

    __iadd__, __isub__, __imul__, __itruediv__, __ipow__ = add_, sub_, mul_, div_, pow_

    def sigmoid_(self):
        def raw(a):
            a[...] = ops.stable_sigmoid(a)
        return inplace.update(self, "sigmoid_", ops.Sigmoid.apply, raw=raw)

    def relu_(self):
        return inplace.update(self, "relu_", ops.ReLU.apply,
                              raw=lambda a: backend.xp_of(a).maximum(a, 0, out=a))

    def clamp_(self, min=None, max=None):
        if min is None and max is None:
            raise OpError("clamp_: at least one of min and max must be given")
        return inplace.update(self, "clamp_", lambda x: ops.Clip.apply(x, low=min, high=max),
                              raw=lambda a: backend.xp_of(a).clip(a, min, max, out=a))

    clip_ = clamp_

    def _overwrite(self, name, value):
        """Every element replaced by value (a number or a tensor broadcast to this shape)."""
        value = self._fill_value(value, name)

        def raw(a, v):
            backend.xp_of(a).copyto(a, v, casting="unsafe")

        return inplace.update(self, name, ops.Overwrite.apply, value, raw=raw)

    def zero_(self): return self._overwrite("zero_", 0)
    def fill_(self, value): return self._overwrite("fill_", value)

    def copy_(self, src, non_blocking=False):
        """Write src's values (broadcast, converted to this dtype and device) into this tensor."""
        if not isinstance(src, TensorMethods):
            src = self._make(backend.as_array(src, device=self.device))
        return self._overwrite("copy_", src.to(self.device, self.dtype))  # any dtype converts, as PyTorch

    def uniform_(self, a=0.0, b=1.0):
        a, b = _number("uniform_", "from", a), _number("uniform_", "to", b)
        if not (math.isfinite(a) and math.isfinite(b)) or a > b:
            raise OpError(f"uniform_: expects a finite range [from, to) with from <= to, got from={a}, to={b}")
        values = backend.rng().uniform(a, b, self.shape).astype(self.dtype)
        return self._overwrite("uniform_", self._make(backend.as_array(values, device=self.device)))

    def normal_(self, mean=0.0, std=1.0):
        mean, std = _number("normal_", "mean", mean), _number("normal_", "std", std)
        if not std >= 0:
            raise OpError(f"normal_: expects std >= 0, got std {std}")
        values = backend.rng().normal(mean, std, self.shape).astype(self.dtype)
        return self._overwrite("normal_", self._make(backend.as_array(values, device=self.device)))

    def masked_fill(self, mask, value):
        """self with value where mask is true (mask broadcasts);  d self = g where not mask."""
        mask = self._mask(mask, "masked_fill")
        return ops.Where.apply(mask, self._fill_value(value, "masked_fill"), self)

    def masked_fill_(self, mask, value):
        mask = self._mask(mask, "masked_fill_")
        value = self._fill_value(value, "masked_fill_")

        def raw(a, v):
            backend.xp_of(a).copyto(a, v, where=backend.xp_of(a).broadcast_to(mask._data, a.shape))

        return inplace.update(self, "masked_fill_", lambda x, v: ops.Where.apply(mask, v, x), value, raw=raw)

    def _mask(self, mask, op):
        mask = self._index_tensor(mask, op)
        if mask.dtype.kind != "b":
            raise OpError(f"{op}: the mask must be a boolean tensor, got dtype {mask.dtype}")
        return mask

    def index_fill_(self, dim, index, value):
        """Fill the slices `index` along dim with value."""
        dim = _dim_index("index_fill_", dim, self.shape)
        index = self._index_tensor(index, "index_fill_")
        xp = backend.xp_of(self._data)
        hit = xp.zeros(self.shape[dim], dtype=bool)
        hit[index._data.reshape(-1)] = True
        shape = [1] * self._data.ndim
        shape[dim] = self.shape[dim]
        return self.masked_fill_(self._make(hit.reshape(shape)), value)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        """self[index[i][j]][j] = src[i][j] for dim = 0 (and alike for other dims), as Tensor.scatter_."""
        if reduce is not None:
            raise OpError("scatter_: reduce= is not supported; use scatter_add via index_add or a loop")
        if src is None:
            src, value = value, None
        index = self._index_tensor(index, "scatter_")
        src = self._fill_value(src, "scatter_")

        def raw(a, s):
            where, _ = ops.along(index._data, dim, "scatter_", a.shape)
            a[where] = s[tuple(slice(0, n) for n in index.shape)] if s.ndim else s

        return inplace.update(self, "scatter_", lambda x, s: ops.Scatter.apply(x, s, index, dim=dim), src, raw=raw)

    def scatter(self, dim, index, src=None, *, value=None):
        src = value if src is None else src
        return ops.Scatter.apply(self, self._fill_value(src, "scatter"), self._index_tensor(index, "scatter"),
                                 dim=dim)

    def unsqueeze_(self, dim): return inplace.reshape_in_place(self, self.unsqueeze(dim))
    def squeeze_(self, dim=None): return inplace.reshape_in_place(self, self.squeeze(dim))
    def t_(self): return inplace.reshape_in_place(self, self.t())

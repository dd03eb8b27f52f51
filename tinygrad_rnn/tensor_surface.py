"""PyTorch's everyday Tensor methods beyond the core of tensor_methods.py, so that a PyTorch
program runs unchanged: new tensors like this one, reordering (repeat, flip, sort, topk,
index_select), running sums, sampling, more pointwise functions and reductions.

Each is built from an op of tinygrad_rnn/ops or from other methods, so its gradient comes
from ops already checked; what is new maths (cumsum, maximum, log1p, ...) is its own op.

    x.repeat(2, 3)             (a, b) -> (2a, 3b): tiles, as np.tile (PyTorch's meaning)
    x.sort(dim, descending)    (values, indices); values = x.gather(dim, indices)
    x.topk(k, dim, largest)    (values, indices) of the k largest (or smallest)
    x.index_select(dim, idx)   x[..., idx, ...] along dim (idx a 1-D integer tensor)
    x.cumsum(dim)              running sum along dim
    p.multinomial(n, replacement=False)   n draws of column indices per row of p (weights)
    x.new_zeros(2, 3)          same dtype and device as x (new_ones, new_full, new_empty, new_tensor)
"""

import math
import types
from collections import namedtuple

from . import backend, dtypes, ops
from .errors import ArgumentTypeError, DimError, IndexArgumentError, OpError
from .generator import draw_from
from .tensor_methods import TensorMethods, _tensor_arg, pick_dim

# what sort, topk, cummax... return, as PyTorch's torch.return_types
SortResult = namedtuple("SortResult", ["values", "indices"])
TopKResult = namedtuple("TopKResult", ["values", "indices"])


def check_int(op, name, value):
    """value as an int, or ArgumentTypeError naming the op (a bool or float is not a size or a dim)."""
    if isinstance(value, bool) or not isinstance(value, int) and not _is_integer_scalar(value):
        raise ArgumentTypeError(f"{op}: {name} must be an int, got {type(value).__name__} {value!r}")
    return int(value)


def _is_integer_scalar(value):
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return kind in ("i", "u") and getattr(value, "ndim", 0) == 0


def dim_index(op, dim, ndim):
    """dim (negatives count from the end) as an axis of a tensor with ndim dimensions."""
    dim = check_int(op, "dim", dim)
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise DimError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimensions "
                       f"(expected {-n} to {n - 1})")
    return dim % n


def _not_broadcasting(op, a, b):
    return OpError(f"{op}: shapes {tuple(a)} and {tuple(b)} do not broadcast together")


def _sizes(op, sizes):
    """(2, 3), ((2, 3),) or ([2, 3],) -> (2, 3), each an int."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return tuple(check_int(op, "each size", n) for n in sizes)


class Size(tuple):
    """PyTorch's torch.Size: a tuple of ints (x.size() == tr.Size([2, 3]) and == (2, 3))."""

    def __new__(cls, sizes=()):
        sizes = tuple(sizes)
        for n in sizes:
            if isinstance(n, bool) or not isinstance(n, int):
                raise ArgumentTypeError(f"Size: expected ints, got {sizes!r}")
        return super().__new__(cls, sizes)

    def numel(self):
        count = 1
        for n in self:
            count *= n
        return count

    def __repr__(self):
        return f"tr.Size({list(self)})"


class SurfaceMethods(TensorMethods):
    __slots__ = ()

    # ---- new tensors like this one (its dtype and device unless told) ---------
    def _like_this(self, make, dtype, device):
        from . import creation  # creation.py imports tensor.py, which imports this file
        return (getattr(creation, make), self.dtype if dtype is None else dtype,
                self.device if device is None else device)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        make, dtype, device = self._like_this("zeros", dtype, device)
        return make(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        make, dtype, device = self._like_this("ones", dtype, device)
        return make(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        make, dtype, device = self._like_this("empty", dtype, device)
        return make(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        make, dtype, device = self._like_this("full", dtype, device)
        return make(size, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A copy of data as a new tensor of this one's dtype and device (PyTorch's rule: [1, 2] on a
        float32 tensor gives float32)."""
        make, dtype, device = self._like_this("tensor", dtype, device)
        return make(data, dtype=dtype, device=device, requires_grad=requires_grad)

    def size(self, dim=None):
        """tr.Size (a tuple) of the shape, or the size of one dimension as an int."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[dim_index("size", dim, self._data.ndim)]

    # ---- dtype ---------------------------------------------------------------
    def type(self, dtype=None, non_blocking=False):
        """No argument: the type name as PyTorch spells it ("torch.FloatTensor"). With one: this tensor
        as that dtype, given as a dtype, a typed constructor (tr.DoubleTensor) or its name."""
        if dtype is None:
            return super().type()
        if isinstance(dtype, str):
            dtype = _dtype_from_type_name(dtype)
        elif isinstance(dtype, types.FunctionType) and hasattr(dtype, "dtype"):  # tr.LongTensor and friends
            dtype = dtype.dtype
        return self.to(dtype)

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return self._data.dtype.kind == "c"

    # ---- repeating and reordering --------------------------------------------
    def repeat(self, *sizes):
        """Tile the tensor: sizes[i] copies along axis i; more sizes than axes add leading axes.
        Built from reshape and expand, so the gradient sums the copies back."""
        sizes = _sizes("repeat", sizes)
        if len(sizes) < self._data.ndim:
            raise OpError(f"repeat: got {len(sizes)} sizes {sizes} for a tensor of shape {tuple(self.shape)}; "
                          "give at least one per dimension")
        if any(n < 0 for n in sizes):
            raise OpError(f"repeat: sizes must be non-negative, got {sizes}")
        shape = (1,) * (len(sizes) - self._data.ndim) + tuple(self.shape)
        spread = self.reshape(tuple(v for n in shape for v in (1, n)))            # (1, n0, 1, n1, ...)
        tiled = spread.expand(tuple(v for r, n in zip(sizes, shape) for v in (r, n)))  # (r0, n0, r1, n1, ...)
        return tiled.reshape(tuple(r * n for r, n in zip(sizes, shape)))

    def tile(self, *dims):
        """repeat, with fewer sizes than axes meaning leading 1s (PyTorch's tile)."""
        dims = _sizes("tile", dims)
        return self.repeat((1,) * (self._data.ndim - len(dims)) + dims)

    def flip(self, *dims):
        """The elements in reverse order along each of dims (a copy, as PyTorch)."""
        dims = _sizes("flip", dims)
        index = [slice(None)] * self._data.ndim
        for d in dims:
            index[dim_index("flip", d, self._data.ndim)] = slice(None, None, -1)
        return self[tuple(index)].clone()

    def unbind(self, dim=0):
        """The slices along dim, each without that dim: a tuple of shape[dim] tensors."""
        if self._data.ndim == 0:
            raise DimError("unbind: a 0-d tensor has no dimension to unbind")
        dim = dim_index("unbind", dim, self._data.ndim)
        return tuple(p.squeeze(dim) for p in self.split(1, dim)) if self.shape[dim] else ()

    def index_select(self, dim, index):
        """The slices at `index` (a 1-D integer tensor) along dim;  d self = g added at those slices."""
        dim = dim_index("index_select", dim, self._data.ndim)
        index = self._index_tensor(index, "index_select")
        if index.dtype.kind not in "iu":
            raise OpError(f"index_select: index must be an integer tensor (int64 or int32), got dtype {index.dtype}")
        if index.ndim > 1:
            raise IndexArgumentError(f"index_select: index must be 0-d or 1-D, got shape {tuple(index.shape)}")
        if index.device == "cpu" and index.numel():
            size = self.shape[dim] if self._data.ndim else 1
            low, high = int(index._data.min()), int(index._data.max())
            if low < -size or high >= size:
                bad = low if low < -size else high
                raise OpError(f"index_select: index {bad} is out of range for dim {dim} of size {size} "
                              f"(tensor of shape {tuple(self.shape)})")
        if self._data.ndim == 0:
            return self.reshape(1)[index.reshape(-1)].reshape(index.shape)
        return self[(slice(None),) * dim + (index.reshape(-1),)]

    def argsort(self, dim=-1, descending=False, stable=False):
        """The indices that sort self along dim (ties keep their order: the sort is stable here)."""
        dim = dim_index("argsort", dim, self._data.ndim)
        a = self._data
        if a.ndim == 0:
            return self._make(backend.xp_of(a).zeros((), dtype=dtypes.int64))
        xp = backend.xp_of(a)
        if not descending:
            order = xp.argsort(a, axis=dim, kind="stable")
        else:  # stable descending: sort the reversed array ascending, reverse the answer back
            n = a.shape[dim]
            order = n - 1 - xp.flip(xp.argsort(xp.flip(a, dim), axis=dim, kind="stable"), dim)
        return self._make(order.astype(dtypes.int64, copy=False))

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) sorted along dim; values = self.gather(dim, indices), so d self = g sent
        back to where each value came from. NaN sorts as the largest value, as PyTorch."""
        dim = dim_index("sort", dim, self._data.ndim)
        indices = self.argsort(dim, descending)
        if self._data.ndim == 0:
            return SortResult(self.clone(), indices)
        return SortResult(self.gather(dim, indices), indices)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """(values, indices) of the k largest (largest=False: smallest) along dim, largest first."""
        k = check_int("topk", "k", k)
        dim = dim_index("topk", dim, self._data.ndim)
        size = self.shape[dim] if self._data.ndim else 1
        if not 0 <= k <= size:
            raise OpError(f"topk: k = {k} is out of range for dim {dim} of size {size} "
                          f"(tensor of shape {tuple(self.shape)}); expected 0 <= k <= {size}")
        if self._data.ndim == 0:
            return TopKResult(self.clone(), self._make(backend.xp_of(self._data).zeros((), dtype=dtypes.int64)))
        order = self.argsort(dim, descending=largest)
        indices = order[(slice(None),) * dim + (slice(0, k),)].contiguous()
        return TopKResult(self.gather(dim, indices), indices)

    # ---- running sums and sampling ---------------------------------------------
    def cumsum(self, dim=None, dtype=None, *, axis=None):
        """Running sum along dim (integers and booleans sum as int64, as PyTorch)."""
        dim = pick_dim("cumsum", dim, axis)
        if dim is None:
            raise ArgumentTypeError("cumsum: dim is required, e.g. x.cumsum(dim=0)")
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "bu" or x._data.dtype.kind == "i" and x._data.dtype != dtypes.int64:
            x = x.to(dtypes.int64)
        if x._data.ndim == 0:
            return x.clone()
        return ops.Cumsum.apply(x, axis=dim_index("cumsum", dim, x._data.ndim))

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Draw num_samples category indices per row; self (k,) or (n, k) holds non-negative weights
        (not necessarily summing to 1). Without replacement a category is drawn at most once per row.

        With replacement: inverse CDF, u ~ U[0, 1) against the running sum of the weights.
        Without: the Gumbel top-k trick, the k largest of log w - log(-log u), which draws exactly
        as one category at a time with the chosen ones removed."""
        if generator is not None and self.device != "cpu":
            raise OpError(f"multinomial: a tr.Generator draws on the host, the weights are on {self.device}; "
                          "leave generator= out on CUDA (tr.manual_seed seeds the device's generator)")
        rng = backend.rng(self.device) if generator is None else draw_from(generator, "multinomial")
        num_samples = check_int("multinomial", "num_samples", num_samples)
        probs = self._data
        if probs.dtype.kind != "f":
            raise OpError(f"multinomial: the weights must be floating point, got dtype {probs.dtype}")
        if probs.ndim not in (1, 2):
            raise OpError(f"multinomial: the weights must be 1-D or 2-D, got shape {tuple(self.shape)}")
        if num_samples <= 0:
            raise OpError(f"multinomial: num_samples must be positive, got {num_samples}")
        k = probs.shape[-1]
        if not replacement and num_samples > k:
            raise OpError(f"multinomial: cannot draw {num_samples} samples from {k} categories without "
                          "replacement; pass replacement=True or draw fewer")
        xp = backend.xp_of(probs)
        rows = probs.reshape(-1, k).astype(dtypes.float64)
        # one read-back to validate, as PyTorch does on its CPU path
        if not bool(xp.all(xp.isfinite(rows) & (rows >= 0))):
            raise OpError("multinomial: the weights contain inf, nan or a negative value")
        positive = (rows > 0).sum(axis=1)
        if not bool(xp.all(positive > 0)):
            raise OpError("multinomial: a row of weights sums to 0; it must have a positive weight")
        if not replacement and not bool(xp.all(positive >= num_samples)):
            raise OpError(f"multinomial: a row has fewer than {num_samples} categories of positive weight, so "
                          f"{num_samples} cannot be drawn without replacement")
        if replacement:
            u = rng.random((rows.shape[0], num_samples))
            cdf = xp.cumsum(rows, axis=1)
            cdf = cdf / cdf[:, -1:]
            # the first category whose cdf exceeds u; a weight-0 category has no step, so it is never drawn
            picks = xp.minimum((u[:, :, None] >= cdf[:, None, :]).sum(axis=2), k - 1)
        else:
            log_weights = xp.where(rows > 0, xp.log(xp.where(rows > 0, rows, 1.0)), -math.inf)
            uniform = xp.clip(rng.random(rows.shape), 1e-300, 1.0 - 1e-16)
            keys = log_weights - xp.log(-xp.log(uniform))  # + Gumbel noise; weight 0 stays at -inf
            picks = xp.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
        out = picks.astype(dtypes.int64)
        return self._make(out.reshape(num_samples) if probs.ndim == 1 else out)

    # ---- more pointwise functions ----------------------------------------------
    def _pair(self, other, op, name):
        """self and other promoted to one dtype (PyTorch's rule), as two tensors."""
        dtype = dtypes.result_type(self, other)
        a = self if self._data.dtype == dtype else self.to(dtype)
        return op.apply(a, a._operand(other, dtype, name))

    def maximum(self, other): return self._pair(other, ops.Maximum, "maximum")
    def minimum(self, other): return self._pair(other, ops.Minimum, "minimum")
    def fmax(self, other): return self.maximum(other)
    def fmin(self, other): return self.minimum(other)

    def square(self): return self * self
    def reciprocal(self): return 1 / self._floating("reciprocal")
    def rsqrt(self): return self._floating("rsqrt").sqrt().reciprocal()
    def log1p(self): return ops.Log1p.apply(self._floating("log1p"))
    def expm1(self): return ops.Expm1.apply(self._floating("expm1"))
    def log2(self): return self.log() * (1 / math.log(2))
    def log10(self): return self.log() * (1 / math.log(10))
    def exp2(self): return (self._floating("exp2") * math.log(2)).exp()

    def _rounding(self, how):
        if self._data.dtype.kind in "biu":
            return self.clone() if how != "sign" else self._make(backend.xp_of(self._data).sign(self._data))
        return ops.Rounding.apply(self, how=how)

    def sign(self): return self._rounding("sign")
    def floor(self): return self._rounding("floor")
    def ceil(self): return self._rounding("ceil")
    def round(self): return self._rounding("round")
    def trunc(self): return self._rounding("trunc")

    def __pow__(self, other):
        if isinstance(other, int) and not isinstance(other, bool) and other < 0 and self._data.dtype.kind in "biu":
            raise OpError(f"pow: integers to negative integer powers are not allowed (a {self.dtype} tensor of "
                          f"shape {tuple(self.shape)} ** {other}); convert the base with .float() first")
        return super().__pow__(other)

    def floor_divide(self, other):
        """floor(self / other) with PyTorch's promotion; outside the graph (its gradient is zero or
        undefined, and PyTorch refuses to backpropagate through it)."""
        return self._raw_pair(other, "floor_divide", reverse=False)

    def remainder(self, other):
        """self - other * floor(self / other): the sign of other, as Python's % and PyTorch's;
        d self = g, d other = -g floor(self / other)."""
        return self - other * self.floor_divide(other)

    def fmod(self, other):
        """self - other * trunc(self / other): the sign of self, as C's fmod."""
        return self._raw_pair(other, "fmod", reverse=False) if not self.requires_grad else \
            self - other * (self.detach() / other).trunc()

    def __floordiv__(self, other): return self.floor_divide(other)
    def __rfloordiv__(self, other): return self._raw_pair(other, "floor_divide", reverse=True)
    def __mod__(self, other): return self.remainder(other)

    def __rmod__(self, other):
        return other - self * self._raw_pair(other, "floor_divide", reverse=True)

    def _raw_pair(self, other, ufunc, reverse):
        """xp.<ufunc>(self, other) on promoted arrays, as a tensor outside the graph."""
        dtype = dtypes.result_type(self, other)
        a = self._data if self._data.dtype == dtype else self._data.astype(dtype)
        b = self._operand(other, dtype, ufunc)._data
        a, b = (b, a) if reverse else (a, b)
        xp = backend.xp_of(a)
        try:
            shape = backend.np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise _not_broadcasting(ufunc, a.shape, b.shape) from None
        if dtype.kind in "biu" and bool(xp.any(b == 0)):  # NumPy would give 0 with a warning
            raise OpError(f"{ufunc}: integer division by zero (ZeroDivisionError), dtype {dtype}, shape {shape}")
        return self._make(xp.asarray(getattr(xp, ufunc)(a, b)))

    def clamp_min(self, min): return self.clamp(min=min)
    def clamp_max(self, max): return self.clamp(max=max)

    def where(self, condition, other):
        """self where condition, else other (torch's Tensor.where)."""
        from .functions import where  # functions.py imports tensor.py
        return where(condition, self, other)

    def tril(self, diagonal=0):
        from .functions import tril  # functions.py imports tensor.py
        return tril(self, diagonal)

    def triu(self, diagonal=0):
        from .functions import triu
        return triu(self, diagonal)

    def isnan(self): return self._make(backend.xp_of(self._data).isnan(self._data))
    def isinf(self): return self._make(backend.xp_of(self._data).isinf(self._data))
    def isfinite(self): return self._make(backend.xp_of(self._data).isfinite(self._data))

    # ---- more reductions -------------------------------------------------------
    def var(self, dim=None, keepdim=False, *, correction=1, unbiased=None):
        """sum((x - mean)^2) / (n - correction) over dim (correction=1: the unbiased estimate, PyTorch's
        default; unbiased=False means correction=0)."""
        if unbiased is not None:
            correction = int(bool(unbiased))
        x = self._floating("var")
        if dim is not None:
            ops.normalize_axes(dim, x._data.ndim, "var")  # the dims are checked naming var, not mean
        mean = x.mean(dim, keepdim=True)
        count = x.numel() // max(mean.numel(), 1)
        return ((x - mean) ** 2).sum(dim, keepdim=keepdim) / max(count - correction, 0)

    def std(self, dim=None, keepdim=False, *, correction=1, unbiased=None):
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased).sqrt()

    def norm(self, p=2, dim=None, keepdim=False):
        """The p-norm over dim (all elements by default): (sum |x|^p)^(1/p); p = inf: max |x|.
        Its gradient at an all-zero input is 0 here, as PyTorch's (the subgradient)."""
        x = self._floating("norm")
        if p == "fro":
            p = 2
        if not isinstance(p, (int, float)) or isinstance(p, bool):
            raise OpError(f"norm: p must be a number, 'fro', inf or -inf (vector norms), got {p!r}")
        if p == math.inf:
            return x.abs().amax(dim, keepdim)
        if p == -math.inf:
            return x.abs().amin(dim, keepdim)
        if p == 0:  # the count of non-zeros, as PyTorch (its gradient is 0)
            return (x != 0).to(x.dtype).sum(dim, keepdim=keepdim)
        powered = x.abs() ** p if p != 2 else x * x
        total = powered.sum(dim, keepdim=keepdim)
        if p < 0:
            return total ** (1 / p)
        # (sum)^(1/p) has an infinite slope at 0: route through a 0 there so the gradient is 0, not nan
        zero = total == 0
        return (total + zero.to(total.dtype)) ** (1 / p) - zero.to(total.dtype)

    def amax(self, dim=None, keepdim=False):
        return self.max() if dim is None else ops.Max.apply(self, axis=dim, keepdims=keepdim)

    def amin(self, dim=None, keepdim=False):
        return self.min() if dim is None else ops.Min.apply(self, axis=dim, keepdims=keepdim)

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) over dim without overflow: m + log(sum(exp(x - m))), m the (constant) max."""
        x = self._floating("logsumexp")
        m = x.detach().amax(dim, keepdim=True)
        m = m.masked_fill(m.isinf(), 0.0)  # an all -inf row: log(0) = -inf, not nan
        out = (x - m).exp().sum(dim, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dim)

    def prod(self, dim=None, keepdim=False, dtype=None):
        """The product over dim (all elements by default). It multiplies the slices one by one, so the
        gradient is right at zeros too (out / x would divide by them)."""
        x = self if dtype is None else self.to(dtype)
        if dim is None:
            x, dim = x.reshape(-1), 0
        dim = dim_index("prod", dim, x._data.ndim)
        if x._data.ndim == 0:
            return x.clone()
        parts = x.unbind(dim)
        if not parts:
            return x.sum(dim, keepdim=keepdim) + 1
        out = parts[0]
        for p in parts[1:]:
            out = out * p
        return out.unsqueeze(dim) if keepdim else out

    # ---- trigonometry ------------------------------------------------------------
    def tan(self): return ops.Tan.apply(self._floating("tan"))
    def atan(self): return ops.Atan.apply(self._floating("atan"))
    def asin(self): return ops.Asin.apply(self._floating("asin"))
    def acos(self): return ops.Acos.apply(self._floating("acos"))
    def sinh(self): return ops.Sinh.apply(self._floating("sinh"))
    def cosh(self): return ops.Cosh.apply(self._floating("cosh"))
    arctan, arcsin, arccos = atan, asin, acos

    # ---- PyTorch's other spellings of the same thing -------------------------------
    def subtract(self, other, *, alpha=1): return self.sub(other, alpha=alpha)
    def multiply(self, other): return self * other
    def divide(self, other): return self / other
    def true_divide(self, other): return self / other
    def negative(self): return -self
    def absolute(self): return self.abs()
    def greater(self, other): return self > other
    def greater_equal(self, other): return self >= other
    def less(self, other): return self < other
    def less_equal(self, other): return self <= other
    def not_equal(self, other): return self != other
    def swapdims(self, dim0, dim1): return self.transpose(dim0, dim1)
    def ndimension(self): return self._data.ndim
    def broadcast_to(self, *sizes): return self.expand(*sizes)
    def type_as(self, other): return self.to(_tensor_arg("type_as", other).dtype)
    def byte(self): return self.to(dtypes.uint8)
    def char(self): return self.to(dtypes.int8)
    def short(self): return self.to(dtypes.int16)

    @property
    def is_cpu(self):
        return self.device == "cpu"

    def get_device(self):
        """-1 on the CPU, the GPU's index (0) on CUDA, as PyTorch."""
        return -1 if self.device == "cpu" else 0

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return int(self._data.nbytes)

    def is_signed(self):
        return self._data.dtype.kind in "if"

    # ---- products --------------------------------------------------------------------
    def mm(self, other):
        if self._data.ndim != 2 or getattr(other, "ndim", 0) != 2:
            raise OpError(f"mm: expects two matrices, got shapes {tuple(self.shape)} and "
                          f"{tuple(getattr(other, 'shape', ()))}")
        return self.matmul(other)

    def bmm(self, other):
        from .functions import bmm  # functions.py imports tensor.py
        return bmm(self, _tensor_arg("bmm", other))

    def mv(self, vec):
        if self._data.ndim != 2 or getattr(vec, "ndim", 0) != 1:
            raise OpError(f"mv: expects a matrix and a vector, got shapes {tuple(self.shape)} and "
                          f"{tuple(getattr(vec, 'shape', ()))}")
        return self.matmul(vec)

    def dot(self, other):
        if self._data.ndim != 1 or getattr(other, "ndim", 0) != 1:
            raise OpError(f"dot: expects two 1-D tensors, got shapes {tuple(self.shape)} and "
                          f"{tuple(getattr(other, 'shape', ()))}")
        return self.matmul(other)

    def outer(self, vec2):
        """out[i][j] = self[i] vec2[j] (both 1-D)."""
        if self._data.ndim != 1 or getattr(vec2, "ndim", 0) != 1:
            raise OpError(f"outer: expects two 1-D tensors, got shapes {tuple(self.shape)} and "
                          f"{tuple(getattr(vec2, 'shape', ()))}")
        return self.unsqueeze(1) * vec2.unsqueeze(0)

    # ---- choosing and moving elements --------------------------------------------------
    def select(self, dim, index):
        """The slice at `index` along dim, without that dim (x.select(0, i) is x[i])."""
        dim = dim_index("select", dim, self._data.ndim)
        index = check_int("select", "index", index)
        size = self.shape[dim]
        if not -size <= index < size:
            raise DimError(f"select: index {index} is out of range for dim {dim} of size {size} "
                           f"(tensor of shape {tuple(self.shape)})")
        return self[(slice(None),) * dim + (index,)]

    def movedim(self, source, destination):
        """Move the dims in source to the places in destination, the others keeping their order."""
        source = tuple(source) if isinstance(source, (tuple, list)) else (source,)
        destination = tuple(destination) if isinstance(destination, (tuple, list)) else (destination,)
        n = self._data.ndim
        src = [dim_index("movedim", d, n) for d in source]
        dst = [dim_index("movedim", d, n) for d in destination]
        if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
            raise OpError(f"movedim: source {source} and destination {destination} must be distinct dims of "
                          "the same length")
        rest = iter(d for d in range(n) if d not in src)
        where = dict(zip(dst, src))
        return self.permute(tuple(where[i] if i in where else next(rest) for i in range(n)))

    moveaxis = movedim

    def unflatten(self, dim, sizes):
        """Split dim into `sizes` (one may be -1)."""
        dim = dim_index("unflatten", dim, self._data.ndim)
        sizes = _sizes("unflatten", (sizes,))
        known = math.prod(n for n in sizes if n != -1)
        if sizes.count(-1) > 1 or (-1 not in sizes and known != self.shape[dim]) or \
                (-1 in sizes and (known == 0 or self.shape[dim] % known)):
            raise OpError(f"unflatten: sizes {sizes} don't multiply up to the size of dim {dim} ({self.shape[dim]}) "
                          f"of a tensor of shape {tuple(self.shape)}")
        return self.reshape(tuple(self.shape[:dim]) + sizes + tuple(self.shape[dim + 1:]))

    def roll(self, shifts, dims=None):
        """Elements shifted along dims, those pushed off the end coming back at the start."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        shifts = tuple(check_int("roll", "each shift", k) for k in shifts)
        if len(shifts) != len(dims):
            raise OpError(f"roll: got {len(shifts)} shifts for {len(dims)} dims; give one shift per dim")
        out = self
        for shift, d in zip(shifts, dims):
            d = dim_index("roll", d, self._data.ndim)
            n = self.shape[d]
            k = check_int("roll", "shift", shift) % n if n else 0
            if k:
                from .functions import cat  # functions.py imports tensor.py
                out = cat([out.narrow(d, n - k, k), out.narrow(d, 0, n - k)], d)
        return out

    def repeat_interleave(self, repeats, dim=None):
        """Each element (each slice along dim) repeated `repeats` times in place: [1, 2] -> [1, 1, 2, 2]."""
        if dim is None:
            return self.flatten().repeat_interleave(repeats, 0)
        dim = dim_index("repeat_interleave", dim, self._data.ndim)
        n = self.shape[dim]
        counts = repeats.tolist() if isinstance(repeats, TensorMethods) else repeats
        if not isinstance(counts, (int, list, tuple)) or isinstance(counts, bool):
            raise ArgumentTypeError(f"repeat_interleave: repeats must be an int or a tensor of ints, got "
                                    f"{type(repeats).__name__} {repeats!r}")
        counts = [counts] * n if isinstance(counts, int) else list(counts)
        if len(counts) != n or any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts):
            raise OpError(f"repeat_interleave: repeats must be a non-negative int or one per element of dim "
                          f"{dim} (size {n}), got {repeats!r}")
        from .creation import check_size  # creation.py imports tensor.py
        check_size("repeat_interleave", (sum(counts),) + tuple(self.shape[:dim] + self.shape[dim + 1:]), self.dtype,
                   self.device)
        index = backend.np.repeat(backend.np.arange(n), counts)
        return self.index_select(dim, self._make(backend.as_array(index, device=self.device)))

    def masked_select(self, mask):
        """The elements where mask (broadcast to self's shape) is true, as a 1-D tensor."""
        mask = self._mask(mask, "masked_select")
        xp = backend.xp_of(self._data)
        shape = backend.np.broadcast_shapes(self.shape, mask.shape)
        return self.expand(shape)[self._make(xp.broadcast_to(mask._data, shape))]

    def nonzero(self, as_tuple=False):
        """The indices of the non-zero elements: an int64 (count, ndim) tensor, or one tensor per dim."""
        xp = backend.xp_of(self._data)
        where = xp.nonzero(self._data if self._data.ndim else self._data.reshape(1))
        parts = [self._make(w.astype(dtypes.int64)) for w in where]
        if as_tuple:
            return tuple(parts)
        return self._make(xp.stack([w.astype(dtypes.int64) for w in where], axis=1))

    def argwhere(self):
        return self.nonzero()

    def count_nonzero(self, dim=None):
        return (self != 0).sum(dim)

    def diag(self, diagonal=0):
        """1-D -> the square matrix with it on the diagonal; 2-D -> its diagonal (offset `diagonal`)."""
        diagonal = check_int("diag", "diagonal", diagonal)
        xp = backend.xp_of(self._data)
        if self._data.ndim == 1:
            from .creation import check_size  # creation.py imports tensor.py
            check_size("diag", (self.shape[0] + abs(diagonal),) * 2, self.dtype, self.device)
        if self._data.ndim == 1:  # out = P^T (x[:, None] * Q): row i + max(-k, 0), column i + max(k, 0)
            m, n = self.shape[0], self.shape[0] + abs(diagonal)
            rows = self._make(xp.eye(m, n, k=max(-diagonal, 0), dtype=self._data.dtype))
            cols = self._make(xp.eye(m, n, k=max(diagonal, 0), dtype=self._data.dtype))
            return rows.t().matmul(self.unsqueeze(1) * cols)
        if self._data.ndim == 2:
            rows, cols = self.shape
            start, stop = max(0, -diagonal), min(rows, cols - diagonal)
            if stop <= start:  # the diagonal misses the matrix
                return self.reshape(-1)[:0]
            i = xp.arange(start, stop)
            return self[self._make(i), self._make(i + diagonal)]
        raise OpError(f"diag: expects a 1-D or 2-D tensor, got shape {tuple(self.shape)}")

    # ---- logic and closeness (booleans, no gradient) ----------------------------------
    def _logical(self, other, ufunc):
        xp = backend.xp_of(self._data)
        b = self._operand(other, dtypes.bool_, ufunc)._data.astype(bool)
        try:
            return self._make(xp.asarray(getattr(xp, ufunc)(self._data.astype(bool), b)))
        except ValueError:
            raise _not_broadcasting(ufunc, self.shape, b.shape) from None

    def logical_and(self, other): return self._logical(other, "logical_and")
    def logical_or(self, other): return self._logical(other, "logical_or")
    def logical_xor(self, other): return self._logical(other, "logical_xor")
    def logical_not(self): return self._make(backend.xp_of(self._data).logical_not(self._data))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        for name, value in (("rtol", rtol), ("atol", atol)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ArgumentTypeError(f"isclose: {name} must be a number, got {type(value).__name__} {value!r}")
        xp = backend.xp_of(self._data)
        dtype = dtypes.result_type(self, other) if isinstance(other, (TensorMethods, int, float)) else self.dtype
        b = self._operand(other, dtype, "isclose")._data
        try:
            return self._make(xp.asarray(xp.isclose(self._data, b, rtol=float(rtol), atol=float(atol),
                                                    equal_nan=bool(equal_nan))))
        except ValueError:
            raise _not_broadcasting("isclose", self.shape, b.shape) from None

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return bool(self.isclose(other, rtol, atol, equal_nan).all())

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """nan, +inf and -inf replaced (by 0 and the dtype's largest and smallest finite numbers by
        default);  d self = g where self was finite, else 0."""
        if self._data.dtype.kind != "f":
            return self.clone()
        info = backend.np.finfo(self._data.dtype)
        out = self.masked_fill(self.isnan(), nan)
        out = out.masked_fill(self == math.inf, info.max if posinf is None else posinf)
        return out.masked_fill(self == -math.inf, info.min if neginf is None else neginf)

    # ---- counting and drawing (no gradient) ----------------------------------------------
    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values, sorted; with return_inverse where each element went, with return_counts
        how often each occurs."""
        if dim is not None:
            raise OpError("unique: dim= is not supported; unique works on all elements")
        xp = backend.xp_of(self._data)
        values, inverse, counts = xp.unique(self._data.reshape(-1), return_inverse=True, return_counts=True)
        out = [self._make(values)]
        if return_inverse:
            out.append(self._make(inverse.reshape(self.shape).astype(dtypes.int64)))
        if return_counts:
            out.append(self._make(counts.astype(dtypes.int64)))
        return out[0] if len(out) == 1 else tuple(out)

    def bincount(self, weights=None, minlength=0):
        """How often each non-negative integer occurs (a 1-D int tensor)."""
        if self._data.ndim != 1 or self._data.dtype.kind not in "iu":
            raise OpError(f"bincount: expects a 1-D integer tensor, got shape {tuple(self.shape)} and dtype "
                          f"{self.dtype}")
        if self._data.size and int(self._data.min()) < 0:
            raise OpError("bincount: the values must be non-negative")
        xp = backend.xp_of(self._data)
        w = None if weights is None else weights._data
        counts = xp.bincount(self._data, weights=w, minlength=minlength)
        return self._make(counts if w is not None else counts.astype(dtypes.int64))

    def bernoulli(self, p=None):
        """1 with probability self (or p), else 0, in self's dtype; drawn from tr.manual_seed's generator."""
        if p is not None and (isinstance(p, bool) or not isinstance(p, (int, float))):
            raise ArgumentTypeError(f"bernoulli: p must be a number, got {type(p).__name__} {p!r}")
        probs = self._data if p is None else backend.xp_of(self._data).full(self.shape, p, dtype=self._data.dtype)
        xp = backend.xp_of(probs)
        if probs.size and not bool(xp.all((probs >= 0) & (probs <= 1))):
            raise OpError("bernoulli: the probabilities must lie in [0, 1]")
        draws = backend.rng(self.device).random(self.shape) < probs
        return self._make(draws.astype(self._data.dtype))


def _dtype_from_type_name(name):
    """'torch.DoubleTensor', 'torch.cuda.FloatTensor', 'DoubleTensor' or 'float64' -> a dtype."""
    names = {"Float": dtypes.float32, "Double": dtypes.float64, "Half": dtypes.float16, "Long": dtypes.int64,
             "Int": dtypes.int32, "Short": dtypes.int16, "Char": dtypes.int8, "Byte": dtypes.uint8,
             "Bool": dtypes.bool_}
    short = name.rsplit(".", 1)[-1]
    if short.endswith("Tensor") and short[:-6] in names:
        return names[short[:-6]]
    return dtypes.check_dtype(short, "type")

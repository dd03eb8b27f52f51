"""PyTorch's numerical Tensor methods beyond tensor_methods.py: more pointwise functions
(maximum, log1p, the rounding family, trigonometry, floor division), reductions (var, std, norm,
logsumexp, prod, amax), products (mm, mv, dot, outer), running sums, sampling (multinomial,
bernoulli) and counting, with the argument checks the rest of the surface shares.

Each is built from an op of tinygrad_rnn/ops or from other methods, so its gradient comes from
ops already checked; what is new maths (cumsum, maximum, log1p, tan, ...) is its own op.

    x.cumsum(dim)              running sum along dim;  d x = the running sum of g from the end
    x.maximum(y)               elementwise; ties share the gradient, as PyTorch
    x.var(dim, correction=1)   sum((x - mean)^2) / (n - correction)
    x.logsumexp(dim)           m + log(sum(exp(x - m))), m the max (no overflow)
    p.multinomial(n, replacement=False)   n draws of column indices per row of p (weights)
"""

import math

from . import backend, dtypes, ops
from .errors import ArgumentTypeError, DimError, OpError
from .generator import draw_from
from .tensor_methods import TensorMethods, pick_dim, tensor_arg


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


def sizes_arg(op, sizes):
    """(2, 3), ((2, 3),) or ([2, 3],) -> (2, 3), each an int."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return tuple(check_int(op, "each size", n) for n in sizes)


class MathMethods(TensorMethods):
    __slots__ = ()

    # ---- running sums and sampling -------------------------------------------
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

    # ---- more pointwise functions --------------------------------------------
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
        """self - other * trunc(self / other): the sign of self, as C's fmod;
        d self = g, d other = -g trunc(self / other)."""
        if not (self.requires_grad or getattr(other, "requires_grad", False)):
            return self._raw_pair(other, "fmod", reverse=False)
        return self - other * (self.detach() / other).detach().trunc()

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

    # ---- more reductions -----------------------------------------------------
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

    # ---- trigonometry --------------------------------------------------------
    def tan(self): return ops.Tan.apply(self._floating("tan"))
    def atan(self): return ops.Atan.apply(self._floating("atan"))
    def asin(self): return ops.Asin.apply(self._floating("asin"))
    def acos(self): return ops.Acos.apply(self._floating("acos"))
    def sinh(self): return ops.Sinh.apply(self._floating("sinh"))
    def cosh(self): return ops.Cosh.apply(self._floating("cosh"))
    arctan, arcsin, arccos = atan, asin, acos

    # ---- products ------------------------------------------------------------
    def mm(self, other):
        if self._data.ndim != 2 or getattr(other, "ndim", 0) != 2:
            raise OpError(f"mm: expects two matrices, got shapes {tuple(self.shape)} and "
                          f"{tuple(getattr(other, 'shape', ()))}")
        return self.matmul(other)

    def bmm(self, other):
        from .functions import bmm  # functions.py imports tensor.py
        return bmm(self, tensor_arg("bmm", other))

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

    # ---- logic and closeness (booleans, no gradient) -------------------------
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

    # ---- counting and drawing (no gradient) ----------------------------------
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

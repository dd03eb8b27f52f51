"""PyTorch's everyday Tensor methods beyond the core of tensor_methods.py, so that a PyTorch
program runs unchanged: new tensors like this one, dtype conversions, and moving elements
(repeat, flip, sort, topk, index_select, roll, ...); the numerical ones are tensor_math.py's.

Each is built from an op of tinygrad_rnn/ops or from other methods (mostly indexing, gather,
reshape and expand), so its gradient comes from ops already checked.

    x.repeat(2, 3)             (a, b) -> (2a, 3b): tiles, as np.tile (PyTorch's meaning)
    x.sort(dim, descending)    (values, indices); values = x.gather(dim, indices)
    x.topk(k, dim, largest)    (values, indices) of the k largest (or smallest)
    x.index_select(dim, idx)   x[..., idx, ...] along dim (idx a 1-D integer tensor)
    x.new_zeros(2, 3)          same dtype and device as x (new_ones, new_full, new_empty, new_tensor)
"""

import math
from collections import namedtuple

from . import backend, dtypes
from .errors import ArgumentTypeError, DimError, IndexArgumentError, OpError
from .tensor_math import MathMethods, check_int, dim_index, sizes_arg
from .tensor_methods import TensorMethods, tensor_arg

# what sort, topk, cummax... return, as PyTorch's torch.return_types
SortResult = namedtuple("SortResult", ["values", "indices"])
TopKResult = namedtuple("TopKResult", ["values", "indices"])


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

    def __reduce__(self):  # the loaders allow this one name, as PyTorch's allow torch.Size
        return Size, (tuple(self),)


class SurfaceMethods(MathMethods):
    __slots__ = ()

    # ---- new tensors like this one (its dtype and device unless told) --------
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
        elif isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), type):  # tr.LongTensor and friends
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
        sizes = sizes_arg("repeat", sizes)
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
        dims = sizes_arg("tile", dims)
        return self.repeat((1,) * (self._data.ndim - len(dims)) + dims)

    def flip(self, *dims, **kwargs):
        """The elements in reverse order along each of dims (a copy, as PyTorch); x.flip(dims=[0]) too."""
        if kwargs:
            if dims or set(kwargs) != {"dims"}:
                raise ArgumentTypeError(f"flip: give the dims once, as flip(0, 1) or flip(dims=(0, 1)); got "
                                        f"{dims} and {kwargs}")
            dims = (kwargs["dims"],)
        dims = sizes_arg("flip", dims)
        index = [slice(None)] * self._data.ndim
        for d in dims:
            d = dim_index("flip", d, self._data.ndim)
            if self._data.ndim:  # a 0-d tensor flips to itself
                index[d] = slice(None, None, -1)
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

    # ---- PyTorch's other spellings of the same thing -------------------------
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
    def type_as(self, other): return self.to(tensor_arg("type_as", other).dtype)
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

    # ---- choosing and moving elements ----------------------------------------
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
        sizes = sizes_arg("unflatten", (sizes,))
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

def _dtype_from_type_name(name):
    """'torch.DoubleTensor', 'torch.cuda.FloatTensor', 'DoubleTensor' or 'float64' -> a dtype."""
    names = {"Float": dtypes.float32, "Double": dtypes.float64, "Half": dtypes.float16, "Long": dtypes.int64,
             "Int": dtypes.int32, "Short": dtypes.int16, "Char": dtypes.int8, "Byte": dtypes.uint8,
             "Bool": dtypes.bool_}
    short = name.rsplit(".", 1)[-1]
    if short.endswith("Tensor") and short[:-6] in names:
        return names[short[:-6]]
    return dtypes.check_dtype(short, "type")

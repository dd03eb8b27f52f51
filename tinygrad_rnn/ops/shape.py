"""Ops that move elements without changing them: reshape, transpose, indexing,
concat, stack, split. Their backward routes the gradient to where each element
came from."""

import operator

from ..autograd import Function
from ..backend import as_array, device_of, int64, is_array, scatter_add, to_numpy, xp_of
from ..errors import OpError


class Reshape(Function):
    """out = x with a new shape of the same size (a view of x's memory where its strides allow,
    else a copy; view=True refuses the copy, as PyTorch's view());  dx = g reshaped back"""
    is_view = True

    def __init__(self, shape, view=False):
        self.new_shape, self.view_only = shape, view

    def forward(self, x):
        self.shape = x.shape
        try:
            out = x.reshape(self.new_shape)
        except ValueError:
            raise OpError(f"{'view' if self.view_only else 'reshape'}: cannot reshape a tensor of shape {x.shape} "
                          f"({x.size} elements) into {tuple(self.new_shape)}") from None
        if self.view_only and out.size and not _shares_memory(out, x):
            raise OpError(f"view: a tensor of shape {x.shape} with strides {x.strides} cannot be viewed as "
                          f"{tuple(self.new_shape)} without a copy (its memory is not contiguous in that order); "
                          "use .reshape(...) (or .contiguous().view(...)) instead")
        return out

    def backward(self, g):
        return g.reshape(self.shape)

    def view(self, array, k=0):
        """The same view of another array of the input's shape (for writing through views)."""
        return array.reshape(self.new_shape)


class Transpose(Function):
    """out = x with axes permuted;  dx = g with the inverse permutation"""
    is_view = True

    def __init__(self, axes):
        self.axes = tuple(operator.index(a) for a in axes)

    def forward(self, x):
        in_range = all(-x.ndim <= a < x.ndim for a in self.axes)
        if not in_range or sorted(a % x.ndim for a in self.axes) != list(range(x.ndim)):
            raise OpError(f"transpose: {self.axes} is not a permutation of the {x.ndim} axes of shape {x.shape}")
        return x.transpose(self.axes)

    def backward(self, g):
        inverse = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inverse[a % len(self.axes)] = i
        return g.transpose(inverse)

    def view(self, array, k=0):
        return array.transpose(self.axes)


def _shares_memory(a, b):
    root_a = a if a.base is None else a.base
    root_b = b if b.base is None else b.base
    return root_a is root_b


class Expand(Function):
    """out = x broadcast to `shape` (a read-only view, no copy);  dx = g summed back (by the engine)"""
    is_view = True

    def __init__(self, shape):
        self.new_shape = shape

    def forward(self, x):
        try:
            return xp_of(x).broadcast_to(x, self.new_shape)
        except ValueError:
            raise OpError(f"expand: a tensor of shape {x.shape} cannot be expanded to {tuple(self.new_shape)}: "
                          "each axis must be 1 or equal the new size") from None

    def backward(self, g):
        return g

    def view(self, array, k=0):
        return xp_of(array).broadcast_to(array, self.new_shape)


def index_arrays(index, x):
    """Lists and host arrays inside an index become arrays on x's device (Tensor.__getitem__
    has already turned Tensors into their arrays).

    NumPy raises for an integer-array index past its axis' end; CuPy wraps it
    around silently (x[[0, 5]] on 3 elements reads x[[0, 2]]). So for a CUDA x
    every integer array is range-checked before use: on the host when it came
    from the host (lists, NumPy arrays: no sync), and with one read-back when it
    is already on the GPU (so index with host data inside a training loop)."""
    device = device_of(x)
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for item in items:
        if isinstance(item, list):  # [] selects nothing (an int64 array, not a float one)
            item = as_array(item, dtype=int64 if not item else None, device="cpu")
        out.append(item)
    if device == "cuda":
        _check_index_range(out, x.shape)
    out = [as_array(item, device=device) if is_array(item) else item for item in out]
    return tuple(out) if isinstance(index, tuple) else out[0]


def _has_arrays(index):
    return any(is_array(i) for i in (index if isinstance(index, tuple) else (index,)))


def _check_index_range(items, shape):
    """Raise as NumPy would for an integer-array item past the end of the axis it indexes."""
    width = [item.ndim if is_array(item) and item.dtype == bool else int(item is not None and item is not Ellipsis)
             for item in items]
    axis = 0
    for item, w in zip(items, width):
        if item is Ellipsis:
            axis += len(shape) - sum(width)
            continue
        if is_array(item) and item.dtype.kind in "iu" and axis < len(shape):
            size = shape[axis]
            outside = (item < -size) | (item >= size)
            if bool(outside.any()):
                value = int(to_numpy(item)[to_numpy(outside)][0])
                raise OpError(f"getitem: index {value} is out of bounds for axis {axis} with size {size} (a tensor "
                              f"of shape {tuple(shape)}; CuPy would wrap it around instead of raising)")
        axis += w


def _may_repeat(index):
    """True when the index holds an integer array, which may name an element twice
    (slices, single integers and boolean masks select each element at most once)."""
    items = index if isinstance(index, tuple) else (index,)
    return any(is_array(i) and i.dtype.kind in "iu" for i in items)


class GetItem(Function):
    """out = x[index] (slices, negative and integer-array indices, boolean masks);
    dx = zeros with g added at the selected places (repeats accumulate)"""
    is_view = True

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        index = index_arrays(self.index, x)
        self.shape, self.dtype = x.shape, x.dtype
        try:
            out = x[index]
            if not is_array(out):  # NumPy gives a scalar copy for x[i] of a 1-D x; x[i, ...] is the 0-d view
                index = (index if isinstance(index, tuple) else (index,)) + (Ellipsis,)
                out = x[index]
        except IndexError as exc:
            raise OpError(f"getitem: index {index!r} is invalid for a tensor of shape {x.shape}: {exc}") from None
        # index arrays go with the saved arrays (freed after backward); a basic index stays, for views
        self.index = None if _has_arrays(index) else index
        self.save(index)
        return out

    def backward(self, g):
        index = self.saved[0]
        dx = xp_of(g).zeros(self.shape, dtype=g.dtype)
        if _may_repeat(index):
            scatter_add(dx, index, g)
        else:
            dx[index] = g
        return dx

    def view(self, array, k=0):
        return array[self.index]


class Concat(Function):
    """out = the inputs joined along `axis`;  each input gets its slice of g"""

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return xp_of(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, g):
        xp = xp_of(g)
        bounds = list(_cumsum(self.sizes))[:-1]
        return tuple(xp.split(g, bounds, axis=self.axis))


class Stack(Function):
    """out = the inputs stacked along a new `axis`;  each input gets its slice of g"""

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        return xp_of(xs[0]).stack(xs, axis=self.axis)

    def backward(self, g):
        xp = xp_of(g)
        return tuple(xp.squeeze(p, axis=self.axis) for p in xp.split(g, g.shape[self.axis], axis=self.axis))


class Split(Function):
    """outs = x cut along `axis` into pieces of the given sizes;
    dx = the pieces' gradients joined again (zeros for a piece that got none)"""
    is_view = True

    def __init__(self, sizes, axis=0):
        self.sizes, self.axis = sizes, axis

    def forward(self, x):
        if sum(self.sizes) != x.shape[self.axis]:
            raise OpError(f"split: sizes {self.sizes} add up to {sum(self.sizes)} but axis {self.axis} "
                          f"of shape {x.shape} has {x.shape[self.axis]}")
        self.shape = x.shape
        bounds = list(_cumsum(self.sizes))[:-1]
        return tuple(xp_of(x).split(x, bounds, axis=self.axis))

    def backward(self, *grads):
        like = next(g for g in grads if g is not None)
        xp = xp_of(like)
        pieces = []
        for size, g in zip(self.sizes, grads):
            if g is None:
                shape = list(self.shape)
                shape[self.axis] = size
                g = xp.zeros(shape, dtype=like.dtype)
            pieces.append(g)
        return xp.concatenate(pieces, axis=self.axis)

    def view(self, array, k=0):
        start = sum(self.sizes[:k])
        index = (slice(None),) * (self.axis % array.ndim) + (slice(start, start + self.sizes[k]),)
        return array[index]


def _cumsum(sizes):
    total = 0
    for s in sizes:
        total += s
        yield total

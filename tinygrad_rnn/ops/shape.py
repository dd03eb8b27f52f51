"""Ops that move elements without changing them: reshape, transpose, indexing,
concat, stack, split. Their backward routes the gradient to where each element
came from."""

import operator

from ..autograd import Function
from ..backend import as_array, device_of, int64, is_array, scatter_add, xp_of
from ..errors import OpError


class Reshape(Function):
    """out = x viewed with a new shape of the same size;  dx = g reshaped back"""
    checks_versions = False
    is_view = True

    def __init__(self, shape):
        self.new_shape = shape

    def forward(self, x):
        self.shape = x.shape
        try:
            return x.reshape(self.new_shape)
        except ValueError:
            raise OpError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                          f"into {tuple(self.new_shape)}") from None

    def backward(self, g):
        return g.reshape(self.shape)


class Transpose(Function):
    """out = x with axes permuted;  dx = g with the inverse permutation"""
    checks_versions = False
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


def _index_arrays(index, x):
    """Tensors, lists and host arrays inside an index become arrays on x's device.

    NumPy raises for an integer-array index past its axis' end; CuPy wraps it
    around silently (x[[0, 5]] on 3 elements reads x[[0, 2]]). So for a CUDA x
    every integer array is range-checked before use: on the host when it came
    from the host (lists, NumPy arrays: no sync), and with one read-back when it
    is already on the GPU (so index with host data inside a training loop)."""
    from ..tensor import Tensor
    device = device_of(x)
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for item in items:
        if isinstance(item, Tensor):
            item = item.array
        if isinstance(item, list):  # [] selects nothing (an int64 array, not a float one)
            item = as_array(item, dtype=int64 if not item else None, device="cpu")
        out.append(item)
    if device == "cuda":
        _check_index_range(out, x.shape)
    out = [as_array(item, device=device) if is_array(item) else item for item in out]
    return tuple(out) if isinstance(index, tuple) else out[0]


def _check_index_range(items, shape):
    """Raise as NumPy would for an integer-array item past the end of the axis it indexes."""
    from ..backend import to_numpy
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
    checks_versions = False
    is_view = True

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.index = _index_arrays(self.index, x)
        self.shape, self.dtype = x.shape, x.dtype
        try:
            return x[self.index]
        except IndexError as exc:
            raise OpError(f"getitem: index {self.index!r} is invalid for a tensor of shape {x.shape}: {exc}") from None

    def backward(self, g):
        dx = xp_of(g).zeros(self.shape, dtype=g.dtype)
        if _may_repeat(self.index):
            scatter_add(dx, self.index, g)
        else:
            dx[self.index] = g
        return dx


class Concat(Function):
    """out = the inputs joined along `axis`;  each input gets its slice of g"""
    checks_versions = False

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
    checks_versions = False

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
    checks_versions = False
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


def _cumsum(sizes):
    total = 0
    for s in sizes:
        total += s
        yield total

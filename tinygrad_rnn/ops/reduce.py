"""Reductions: sum, mean, max over an axis, a tuple of axes, or everything."""

import operator

from ..autograd import Function
from ..backend import xp_of
from ..errors import ArgumentTypeError, DimError, OpError


def normalize_axes(axis, ndim, op):
    """axis (None, int or tuple, negatives allowed) -> a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        if isinstance(a, bool) or not hasattr(a, "__index__"):
            raise ArgumentTypeError(f"{op}: dim must be an int or a tuple of ints, got {axis!r}")
        a = operator.index(a)  # NumPy integers too
        if not -ndim <= a < max(ndim, 1):
            raise DimError(f"{op}: dim {a} is out of range for a tensor with {ndim} dimensions "
                           f"(expected {-max(ndim, 1)} to {max(ndim, 1) - 1})")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def expand_to_input(g, shape, axes, keepdims):
    """Put back the reduced axes (as size 1) so that g broadcasts against the input."""
    if not keepdims:
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return g


class Sum(Function):
    """out = sum of x over axes;  dx = g broadcast back over those axes"""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = normalize_axes(self.axis, x.ndim, "sum")
        self.shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        g = expand_to_input(g, self.shape, self.axes, self.keepdims)
        return xp_of(g).broadcast_to(g, self.shape)


class Mean(Function):
    """out = sum of x over axes / n;  dx = g / n broadcast back"""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = normalize_axes(self.axis, x.ndim, "mean")
        self.shape = x.shape
        self.count = 1
        for a in self.axes:
            self.count *= x.shape[a]
        if self.count == 0:
            raise OpError(f"mean: cannot average over zero elements (shape {x.shape}, axes {self.axes})")
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        g = expand_to_input(g, self.shape, self.axes, self.keepdims) / self.count
        return xp_of(g).broadcast_to(g, self.shape)


class Max(Function):
    """out = max of x over axes.

    Over every element (axis=None): dx = g / k at each of the k maximal elements, 0 elsewhere
    (ties share the gradient evenly, as PyTorch's max()). Over some axes: dx = g at one maximal
    element per slice (the first, the index that max(dim) returns), 0 elsewhere."""

    pick = "argmax"

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = xp_of(x)
        axes = normalize_axes(self.axis, x.ndim, self.pick[3:])
        if x.size == 0 or any(x.shape[a] == 0 for a in axes):
            raise OpError(f"{self.pick[3:]}: cannot reduce over an empty axis (shape {x.shape}, axes {axes})")
        self.shape = x.shape
        if self.axis is None:
            out = x.max() if self.pick == "argmax" else x.min()
            self.save(x == out)
            return out.reshape((1,) * x.ndim) if self.keepdims else out
        kept = tuple(a for a in range(x.ndim) if a not in axes)
        # move the reduced axes to the end and flatten them into one
        perm = kept + axes
        flat = x.transpose(perm).reshape(tuple(x.shape[a] for a in kept) + (-1,))
        index = getattr(flat, self.pick)(axis=-1)
        out = xp.take_along_axis(flat, index[..., None], axis=-1)[..., 0]
        self.axes, self.perm, self.n = axes, perm, flat.shape[-1]
        self.save(index)
        if self.keepdims:
            out = out.reshape(tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
        return out

    def backward(self, g):
        xp = xp_of(g)
        if self.axis is None:
            ties = self.saved[0]
            return ties * (g.reshape(()) / ties.sum())
        index = self.saved[0]
        g = g.reshape(index.shape)
        onehot = xp.arange(self.n) == index[..., None]
        flat = onehot * g[..., None]
        moved = flat.reshape(tuple(self.shape[a] for a in self.perm))
        return moved.transpose(tuple(self.perm.index(i) for i in range(len(self.perm))))


class Min(Max):
    """out = min of x over axes; the gradient as Max's, at the minimal elements"""

    pick = "argmin"

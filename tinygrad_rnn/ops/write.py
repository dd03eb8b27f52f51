"""Ops that write: item assignment, overwriting a tensor's values, and writing through a view.

These are what in-place changes are recorded as (tinygrad_rnn/inplace.py says when
and why). The first input of SetItem and ViewUpdate is the storage being changed,
handed over by the in-place machinery, and their forward writes into that very
array and returns it, so an assignment like `y[t] = h_t` in a loop copies only h_t:

    SetItem(x, v, index)   x[index] = v         dx = g with g[index] = 0,  dv = g[index] (summed to v's shape)
    Overwrite(x, v)        new array, every element v (broadcast, cast to x's dtype)
                                                dx = 0 (no path),          dv = g (summed to v's shape)
    ViewUpdate(b, v, ...)  view(b)[...] = v     db = g with view(g) = 0,   dv = view(g)
    ViewOf(b, ...)         out = view(b)        db = zeros with view(db) = g

`view(.)` is the chain of view ops (reshape, transpose, basic indexing, split) that
took a view tensor from its base; each view op can apply itself to another array
(autograd.replay). ViewOf, the same view taken again, lives in autograd.py, which
uses it to refresh a view whose base changed.
"""

from ..autograd import Function, replay, sum_to_shape
from ..backend import xp_of
from ..errors import OpError
from .shape import index_arrays


def _check_castable(op, value, target):
    if value.dtype != target.dtype and not xp_of(target).can_cast(value.dtype, target.dtype, "same_kind"):
        raise OpError(f"{op}: cannot write values of dtype {value.dtype} into a tensor of dtype {target.dtype}; "
                      f"convert them first (e.g. .to({target.dtype}))")


class SetItem(Function):
    """x[index] = v in x's own memory (see the module docstring)."""

    def __init__(self, index):
        self.index = index

    def forward(self, x, v):
        _check_castable("setitem", v, x)
        index = index_arrays(self.index, x)
        try:
            x[index] = v
        except (IndexError, ValueError) as exc:
            raise OpError(f"setitem: cannot assign a value of shape {v.shape} to index {index!r} of a tensor "
                          f"of shape {x.shape}: {exc}") from None
        self.index = None
        self.save(index)
        return x

    def backward(self, g):
        index = self.saved[0]
        dv = None
        if self.needs_grad[1]:
            dv = g[index]
            shape = self.inputs[1][2]
            if dv.shape != shape:  # v was broadcast over the selected places
                dv = sum_to_shape(dv, shape)
        dx = None
        if self.needs_grad[0]:
            dx = g.copy()
            dx[index] = 0
        return dx, dv


class Overwrite(Function):
    """Every element of x replaced by v (fill_, copy_, zero_, random fills)."""

    def forward(self, x, v):
        _check_castable("copy_", v, x)
        try:
            return xp_of(x).broadcast_to(v, x.shape).astype(x.dtype)
        except ValueError:
            raise OpError(f"copy_: a source of shape {v.shape} cannot be broadcast to the tensor's shape "
                          f"{x.shape}") from None

    def backward(self, g):
        return None, g


class ViewUpdate(Function):
    """view(b)[...] = v in b's own memory; `written`: v already lives there (nothing to copy)."""

    def __init__(self, chain, written=False):
        self.chain, self.written = chain, written

    def forward(self, base, v):
        if not self.written:
            replay(self.chain, base)[...] = v
        return base

    def backward(self, g):
        dv = replay(self.chain, g).copy() if self.needs_grad[1] else None
        db = None
        if self.needs_grad[0]:
            db = g.copy()
            replay(self.chain, db)[...] = 0
        return db, dv

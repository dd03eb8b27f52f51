"""gather and scatter along one axis (PyTorch's torch.gather and Tensor.scatter).

For a 3-D x and dim = 1 (the other axes alike):

    Gather(x, index)       out[i][j][k] = x[i][index[i][j][k]][k]          out: index's shape
                           dx = zeros, with g added at those places (repeats accumulate)
    Scatter(x, src, index) out = x, then out[i][index[i][j][k]][k] = src[i][j][k]
                           dx = g with those places set to 0;  dsrc = g gathered from them
                           (src may be larger than index: its other entries get 0)

index is an integer array with x's number of axes; along the other axes it may
be shorter than x (PyTorch's rule), never longer.
"""

from ..autograd import Function
from ..backend import scatter_add, xp_of
from ..errors import OpError


def along(index, dim, op, shape):
    """The fancy index that reads x[..., index, ...] along `dim`, index's other axes taken in order."""
    xp = xp_of(index)
    if index.dtype.kind not in "iu":
        raise OpError(f"{op}: index must be an integer tensor, got dtype {index.dtype}")
    if index.ndim != len(shape):
        raise OpError(f"{op}: index has {index.ndim} axes but the tensor has {len(shape)} (shape {shape}); "
                      "they must have the same number")
    if not -len(shape) <= dim < max(len(shape), 1):
        raise OpError(f"{op}: dim {dim} is out of range for a tensor of shape {shape}")
    dim %= max(len(shape), 1)
    if any(i > n for d, (i, n) in enumerate(zip(index.shape, shape)) if d != dim):
        raise OpError(f"{op}: index of shape {index.shape} is larger than the tensor's shape {shape} along an "
                      f"axis other than dim {dim}")
    items = []
    for d, n in enumerate(index.shape):
        if d == dim:
            items.append(index)
        else:
            step = [1] * index.ndim
            step[d] = n
            items.append(xp.arange(n).reshape(step))
    return tuple(items), dim


class Gather(Function):
    """out = x gathered along dim at index; equations in the module docstring."""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x, index):
        where, _ = along(index, self.dim, "gather", x.shape)
        try:
            out = x[where]
        except IndexError as exc:
            raise OpError(f"gather: index out of range for a tensor of shape {x.shape}: {exc}") from None
        self.shape = x.shape
        self.save(where)
        return out

    def backward(self, g):
        where = self.saved[0]
        dx = xp_of(g).zeros(self.shape, dtype=g.dtype)
        scatter_add(dx, where, g)
        return dx, None


class Scatter(Function):
    """out = x with src written along dim at index; equations in the module docstring."""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x, src, index):
        where, dim = along(index, self.dim, "scatter", x.shape)
        if src.ndim:
            if src.ndim != index.ndim or any(i > s for i, s in zip(index.shape, src.shape)):
                raise OpError(f"scatter: src of shape {src.shape} must have index's number of axes and be at "
                              f"least as large as index (shape {index.shape})")
            src = src[tuple(slice(0, n) for n in index.shape)]
        out = x.copy()
        try:
            out[where] = src
        except IndexError as exc:
            raise OpError(f"scatter: index out of range for a tensor of shape {x.shape}: {exc}") from None
        self.save(where)
        return out

    def backward(self, g):
        where = self.saved[0]
        dx = dsrc = None
        if self.needs_grad[0]:
            dx = g.copy()
            dx[where] = 0
        if self.needs_grad[1]:
            picked = g[where]
            shape = self.inputs[1][2]
            if picked.shape == shape or not shape:
                dsrc = picked
            else:
                dsrc = xp_of(g).zeros(shape, dtype=g.dtype)
                dsrc[tuple(slice(0, n) for n in picked.shape)] = picked
        return dx, dsrc, None

"""Running sums along one axis (PyTorch's torch.cumsum).

    out[..., i, ...] = sum_{j <= i} x[..., j, ...]              (along `axis`)
    dx[..., j, ...]  = sum_{i >= j} g[..., i, ...]              (the running sum from the end)

The gradient of a prefix sum is a suffix sum: each x_j reaches every out_i with i >= j.
"""

from ..autograd import Function
from ..backend import xp_of


class Cumsum(Function):
    """out = cumulative sum of x along axis;  dx = the cumulative sum of g taken from the end"""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return xp_of(x).cumsum(x, axis=self.axis, dtype=x.dtype)

    def backward(self, g):
        xp = xp_of(g)
        return xp.flip(xp.cumsum(xp.flip(g, self.axis), axis=self.axis), self.axis)

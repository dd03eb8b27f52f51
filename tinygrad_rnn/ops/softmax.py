"""softmax and log_softmax along one axis, shifted by the max so that no exp overflows."""

from ..autograd import Function
from ..backend import xp_of


class Softmax(Function):
    """y_i = e^(x_i - m) / sum_j e^(x_j - m), m = max_j x_j;  dx = y * (g - sum(g * y))"""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = xp_of(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        y = e / e.sum(axis=self.axis, keepdims=True)
        self.save(y)
        return y

    def backward(self, g):
        y = self.saved[0]
        return y * (g - (g * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """y = x - m - log sum_j e^(x_j - m);  dx = g - softmax(x) * sum(g)

    Entries of -inf (masks) stay -inf; since softmax is 0 there, their
    gradient is g itself, as in PyTorch."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = xp_of(x)
        shifted = x - x.max(axis=self.axis, keepdims=True)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))
        self.save(y)
        return y

    def backward(self, g):
        y = self.saved[0]
        return g - xp_of(y).exp(y) * g.sum(axis=self.axis, keepdims=True)

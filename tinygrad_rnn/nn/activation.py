"""Activation functions as modules, so they can sit in a Sequential."""

from .logsigmoid import logsigmoid
from .module import Module


class Tanh(Module):
    """y = tanh(x)"""

    def forward(self, x):
        return x.tanh()


class Sigmoid(Module):
    """y = 1 / (1 + e^-x)"""

    def forward(self, x):
        return x.sigmoid()


class ReLU(Module):
    """y = max(x, 0); inplace=True is accepted and computes out of place (the same result)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return x.relu()


class LogSigmoid(Module):
    """y = log(sigmoid(x)), computed stably"""

    def forward(self, x):
        return logsigmoid(x)


class Softmax(Module):
    """y_i = e^x_i / sum_j e^x_j along `dim`"""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x.softmax(self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """y_i = x_i - log sum_j e^x_j along `dim`"""

    def forward(self, x):
        return x.log_softmax(self.dim)

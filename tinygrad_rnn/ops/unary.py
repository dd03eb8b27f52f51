"""Pointwise functions of one tensor: exp, log, tanh, sigmoid, relu, abs, sqrt, sin, cos, clip, cast, copy."""

from ..autograd import Function
from ..backend import device_of, to_device, xp_of


class Exp(Function):
    """out = e^x;  dx = g * out"""

    def forward(self, x):
        out = xp_of(x).exp(x)
        self.save(out)
        return out

    def backward(self, g):
        return g * self.saved[0]


class Log(Function):
    """out = ln x;  dx = g / x"""

    def forward(self, x):
        self.save(x)
        return xp_of(x).log(x)

    def backward(self, g):
        return g / self.saved[0]


class Tanh(Function):
    """out = tanh x;  dx = g * (1 - out^2)"""

    def forward(self, x):
        out = xp_of(x).tanh(x)
        self.save(out)
        return out

    def backward(self, g):
        out = self.saved[0]
        return g * (1 - out * out)


def sigmoid_(x):
    """x <- 1 / (1 + e^-x) in place, without overflow and to full precision at both ends:

        sigmoid(x) = e^min(x, 0) / (1 + e^-|x|)        (both exponentials at most 1)

    which is 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) for x < 0. The one sigmoid
    of the library: the Sigmoid op and the recurrent BPTT ops (tinygrad_rnn/bptt) call it."""
    xp = xp_of(x)
    numerator = xp.minimum(x, 0, out=xp.empty_like(x))  # out=: an array even when x is 0-d
    xp.exp(numerator, out=numerator)
    xp.abs(x, out=x)
    xp.negative(x, out=x)
    xp.exp(x, out=x)
    x += 1
    return xp.divide(numerator, x, out=x)


def stable_sigmoid(x):
    """sigmoid(x) as a new array (see sigmoid_)."""
    return sigmoid_(x.copy())


class Sigmoid(Function):
    """out = 1 / (1 + e^-x);  dx = g * out * (1 - out)"""

    def forward(self, x):
        out = stable_sigmoid(x)
        self.save(out)
        return out

    def backward(self, g):
        out = self.saved[0]
        return g * out * (1 - out)


class ReLU(Function):
    """out = max(x, 0);  dx = g where x > 0, else 0"""

    def forward(self, x):
        self.save(x)
        return xp_of(x).maximum(x, 0)

    def backward(self, g):
        return g * (self.saved[0] > 0)


class Abs(Function):
    """out = |x|;  dx = g * sign(x)  (0 at 0, as PyTorch)"""

    def forward(self, x):
        self.save(x)
        return xp_of(x).abs(x)

    def backward(self, g):
        return g * xp_of(g).sign(self.saved[0])


class Sqrt(Function):
    """out = sqrt x;  dx = g / (2 out)"""

    def forward(self, x):
        out = xp_of(x).sqrt(x)
        self.save(out)
        return out

    def backward(self, g):
        return g / (2 * self.saved[0])


class Sin(Function):
    """out = sin x;  dx = g * cos x"""

    def forward(self, x):
        self.save(x)
        return xp_of(x).sin(x)

    def backward(self, g):
        return g * xp_of(g).cos(self.saved[0])


class Cos(Function):
    """out = cos x;  dx = -g * sin x"""

    def forward(self, x):
        self.save(x)
        return xp_of(x).cos(x)

    def backward(self, g):
        return -g * xp_of(g).sin(self.saved[0])


class Clip(Function):
    """out = min(max(x, low), high);  dx = g where low <= x <= high, else 0"""

    def __init__(self, low=None, high=None):
        self.low, self.high = low, high

    def forward(self, x):
        self.save(x)
        return xp_of(x).clip(x, self.low, self.high)

    def backward(self, g):
        x = self.saved[0]
        inside = xp_of(x).ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return g * inside


class Cast(Function):
    """out = x as another dtype (always a new array); the gradient is cast back."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.source = x.dtype
        return x.astype(self.dtype)

    def backward(self, g):
        return g.astype(self.source)


class Clone(Function):
    """out = a copy of x in new memory (C order);  dx = g"""

    def forward(self, x):
        return xp_of(x).array(x, copy=True, order="C")

    def backward(self, g):
        return g


class ToDevice(Function):
    """out = x copied to another device; the gradient is copied back."""

    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.source = device_of(x)
        return to_device(x, self.device)

    def backward(self, g):
        return to_device(g, self.source)

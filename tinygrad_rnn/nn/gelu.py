"""GELU, x Phi(x) (Hendrycks and Gimpel, 2016), exact or with PyTorch's tanh approximation.

    approximate="none":  y = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2,     dy/dx = Phi(x) + x phi(x)
    approximate="tanh":  y = x (1 + tanh(u)) / 2,  u = sqrt(2/pi) (x + 0.044715 x^3)
                         dy/dx = (1 + tanh u) / 2 + x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 0.044715 x^2) / 2

phi is the standard normal density. NumPy has no erf: SciPy's is used where installed
(CuPy's on a GPU), else `series_erf` builds it from array arithmetic (to about 1e-15, 100x slower).
"""

import math

from .. import backend
from ..autograd import Function
from ..errors import OpError
from .module import Module

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_KAPPA = 0.044715


def erf(x):
    """erf of an array: SciPy's (CuPy's on a GPU) where installed, else series_erf."""
    native = backend.native_erf(backend.device_of(x))
    return native(x) if native is not None else series_erf(x)


def series_erf(x):
    """erf from array arithmetic alone: |x| < 3 by the all-positive series
    erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1 3 5 ... (2n+1)), which has no cancellation;
    |x| >= 3 by the continued fraction erfc(x) = e^{-x^2} / sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))."""
    xp = backend.xp_of(x)
    a = xp.abs(x)
    s = xp.minimum(a, 3.0)
    s2 = s * s
    term, total = s, s
    for n in range(1, 50):
        term = term * (2 * s2 / (2 * n + 1))
        total = total + term
    inside = (2 / math.sqrt(math.pi)) * xp.exp(-s2) * total
    b = xp.maximum(a, 3.0)
    f = b
    for k in range(40, 0, -1):  # the fraction evaluated from its tail up
        f = b + (k / 2) / f
    outside = 1 - xp.exp(-b * b) / (math.sqrt(math.pi) * f)
    return xp.sign(x) * xp.where(a < 3.0, inside, outside)


class Gelu(Function):
    def __init__(self, approximate="none"):
        self.approximate = approximate

    def forward(self, x):
        xp = backend.xp_of(x)
        self.save(x)
        if self.approximate == "tanh":
            return 0.5 * x * (1 + xp.tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x * x * x)))
        # erf in float64 whatever x is: 1 + erf(x) cancels for x << 0, and the series' float32
        # rounding would show there (5e-6 relative at x = -2)
        wide = x.astype(xp.float64)
        return (0.5 * wide * (1 + erf(wide * (1 / math.sqrt(2.0))))).astype(x.dtype)

    def backward(self, g):
        x = self.saved[0]
        xp = backend.xp_of(x)
        if self.approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x * x * x))
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _KAPPA * x * x))
        wide = x.astype(xp.float64)
        cdf = 0.5 * (1 + erf(wide * (1 / math.sqrt(2.0))))
        pdf = xp.exp(-0.5 * wide * wide) * (1 / math.sqrt(2 * math.pi))
        return g * (cdf + wide * pdf).astype(x.dtype)


def _check(approximate):
    if approximate not in ("none", "tanh"):
        raise OpError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu(input, approximate="none"):  # noqa: A002 (PyTorch's argument name)
    """F.gelu(input, approximate='none'): x Phi(x), or its tanh approximation."""
    _check(approximate)
    if input.dtype.kind != "f":
        raise OpError(f"gelu: expected a floating-point tensor, got dtype {input.dtype}")
    return Gelu.apply(input, approximate=approximate)


class GELU(Module):
    """y = x Phi(x) (approximate='none') or x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))) / 2 ('tanh')."""

    def __init__(self, approximate="none"):
        super().__init__()
        _check(approximate)
        self.approximate = approximate

    def forward(self, input):  # noqa: A002
        return gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"

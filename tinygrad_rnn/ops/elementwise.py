"""More pointwise functions, for PyTorch's surface: maximum, minimum, log1p, expm1, and the
rounding family (sign, floor, ceil, round), whose gradient is zero almost everywhere, and
tan, atan, asin, acos, sinh, cosh.

    maximum(a, b):  da = g where a > b, g / 2 where a == b, else 0 (db alike), as PyTorch
    log1p(x) = ln(1 + x):   dx = g / (1 + x)        (exact for tiny x, where log(1 + x) rounds)
    expm1(x) = e^x - 1:     dx = g * (out + 1)
"""

from ..autograd import Function
from ..backend import xp_of


class _Extremum(Function):
    """out = maximum (or minimum) of a and b; ties share the gradient equally (PyTorch's rule)."""
    pick = None  # "maximum" or "minimum"

    def forward(self, a, b):
        self.save(a, b)
        return getattr(xp_of(a), self.pick)(a, b)

    def backward(self, g):
        a, b = self.saved
        wins = (a > b) if self.pick == "maximum" else (a < b)
        share = wins + 0.5 * (a == b)
        share = share.astype(g.dtype)
        return g * share, g * (1 - share)


class Maximum(_Extremum):
    """out = max(a, b) elementwise;  da = g [a > b] + g/2 [a == b],  db = g - da"""
    pick = "maximum"


class Minimum(_Extremum):
    """out = min(a, b) elementwise;  da = g [a < b] + g/2 [a == b],  db = g - da"""
    pick = "minimum"


class Log1p(Function):
    """out = ln(1 + x);  dx = g / (1 + x)"""

    def forward(self, x):
        self.save(x)
        return xp_of(x).log1p(x)

    def backward(self, g):
        return g / (1 + self.saved[0])


class Expm1(Function):
    """out = e^x - 1;  dx = g * (out + 1)"""

    def forward(self, x):
        out = xp_of(x).expm1(x)
        self.save(out)
        return out

    def backward(self, g):
        return g * (self.saved[0] + 1)


class Rounding(Function):
    """out = sign / floor / ceil / round of x (round: halves to even, as PyTorch);  dx = 0"""

    def __init__(self, how):
        self.how = how

    def forward(self, x):
        self.shape = x.shape
        return getattr(xp_of(x), {"round": "rint"}.get(self.how, self.how))(x)

    def backward(self, g):
        return xp_of(g).zeros(self.shape, dtype=g.dtype)


class _Unary(Function):
    """out = f(x);  dx = g * f'(x), with f and f' given per subclass (on x and out)."""
    keep_input = True

    def forward(self, x):
        out = self.value(xp_of(x), x)
        self.save(x if self.keep_input else None, out)
        return out

    def backward(self, g):
        x, out = self.saved
        return g * self.slope(xp_of(g), x, out)


class Tan(_Unary):
    """out = tan x;  dx = g (1 + out^2)"""
    keep_input = False
    value = staticmethod(lambda xp, x: xp.tan(x))
    slope = staticmethod(lambda xp, x, out: 1 + out * out)


class Atan(_Unary):
    """out = atan x;  dx = g / (1 + x^2)"""
    value = staticmethod(lambda xp, x: xp.arctan(x))
    slope = staticmethod(lambda xp, x, out: 1 / (1 + x * x))


class Asin(_Unary):
    """out = asin x;  dx = g / sqrt(1 - x^2)"""
    value = staticmethod(lambda xp, x: xp.arcsin(x))
    slope = staticmethod(lambda xp, x, out: 1 / xp.sqrt(1 - x * x))


class Acos(_Unary):
    """out = acos x;  dx = -g / sqrt(1 - x^2)"""
    value = staticmethod(lambda xp, x: xp.arccos(x))
    slope = staticmethod(lambda xp, x, out: -1 / xp.sqrt(1 - x * x))


class Sinh(_Unary):
    """out = sinh x;  dx = g cosh x"""
    value = staticmethod(lambda xp, x: xp.sinh(x))
    slope = staticmethod(lambda xp, x, out: xp.cosh(x))


class Cosh(_Unary):
    """out = cosh x;  dx = g sinh x"""
    value = staticmethod(lambda xp, x: xp.cosh(x))
    slope = staticmethod(lambda xp, x, out: xp.sinh(x))

"""Elementwise arithmetic: add, sub, mul, div, neg, pow.

Each backward returns gradients in the broadcast shape of the output; the
engine sums them back to each input's shape (autograd.sum_to_shape).
"""

from ..autograd import Function
from ..backend import np, xp_of


class Add(Function):
    """out = a + b;  da = g, db = g"""

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    """out = a - b;  da = g, db = -g"""

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, -g


class Mul(Function):
    """out = a * b;  da = g * b, db = g * a"""

    def forward(self, a, b):
        need_a, need_b = self.needs_grad
        # keep only what a gradient will read: b for da, a for db
        self.save(a if need_b else None, b if need_a else None)
        return a * b

    def backward(self, g):
        a, b = self.saved
        need_a, need_b = self.needs_grad
        da = g * b if need_a else None
        if need_b and da is not None and a is b:  # x * x: the second gradient is the first, g * x
            return da, da
        return da, (g * a if need_b else None)


class Div(Function):
    """out = a / b;  da = g / b, db = -g * a / b^2"""

    def forward(self, a, b):
        self.save(a if self.needs_grad[1] else None, b)
        return a / b

    def backward(self, g):
        a, b = self.saved
        ga = g / b
        return ga, (-ga * a / b if self.needs_grad[1] else None)


class Neg(Function):
    """out = -a"""

    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


class Pow(Function):
    """out = a ** b;  da = g * b * a^(b-1) (0 where b = 0, as PyTorch: d(x^0)/dx = 0 even at x = 0),
    db = g * out * log(a)  (0 where a <= 0)"""

    def forward(self, a, b):
        out = a ** b
        self.save(a, b, out if self.needs_grad[1] else None)
        return out

    def backward(self, g):
        a, b, out = self.saved
        xp = xp_of(a)
        ga = gb = None
        if self.needs_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1 where b = 0 is replaced by 0
                ga = g * xp.where(b == 0, 0, b * a ** (b - 1))
        if self.needs_grad[1]:
            positive = a > 0
            gb = g * out * xp.log(xp.where(positive, a, 1)) * positive
        return ga, gb


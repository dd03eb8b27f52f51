"""where(cond, a, b): elementwise choice; the condition carries no gradient."""

from ..autograd import Function
from ..backend import xp_of


class Where(Function):
    """out = a where cond else b;  da = g where cond, db = g where not cond"""

    def forward(self, cond, a, b):
        cond = cond.astype(bool, copy=False)
        self.save(cond)
        return xp_of(a).where(cond, a, b)

    def backward(self, g):
        cond = self.saved[0]
        zero = xp_of(g).zeros((), dtype=g.dtype)
        return None, xp_of(g).where(cond, g, zero), xp_of(g).where(cond, zero, g)

"""where(cond, a, b): elementwise choice; the condition carries no gradient."""

from ..autograd import Function
from ..backend import xp_of


class Where(Function):
    """out = a where cond else b;  da = g where cond, db = g where not cond"""
    checks_versions = False

    def forward(self, cond, a, b):
        self.cond = cond.astype(bool)
        return xp_of(a).where(self.cond, a, b)

    def backward(self, g):
        zero = xp_of(g).zeros((), dtype=g.dtype)
        return None, xp_of(g).where(self.cond, g, zero), xp_of(g).where(self.cond, zero, g)

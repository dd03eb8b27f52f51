"""log(sigmoid(x)) computed without overflow or loss of precision, the
building block of binary cross-entropy on logits."""

from .. import backend
from ..autograd import Function
from ..ops.unary import stable_sigmoid


class LogSigmoid(Function):
    """out = log(1 / (1 + e^-x)) = min(x, 0) - log1p(e^-|x|);  dx = g * sigmoid(-x)

    Written as one op because log(sigmoid(x)) from two ops overflows to -inf
    for x << 0 and loses the small term for x >> 0."""

    def forward(self, x):
        xp = backend.xp_of(x)
        self.save(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, g):
        return g * stable_sigmoid(-self.saved[0])


def logsigmoid(x):
    return LogSigmoid.apply(x)

"""Dropout: zero each element with probability p while training, scaling the
survivors by 1 / (1 - p) so that the expected value is unchanged (inverted
dropout); the identity in eval mode.

The mask is drawn by the generator of x's device (see backend.rng), so on a
GPU it is made there and never copied from the host."""

from .. import backend
from ..errors import OpError
from .module import Module


def dropout(x, p=0.5, training=True):
    """y = x * m / (1 - p),  m ~ Bernoulli(1 - p) elementwise (y = 0 when p = 1)."""
    if not 0.0 <= p <= 1.0:
        raise OpError(f"dropout: probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    keep = backend.rng(x.device).random(x.shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return x * (keep.astype(x.dtype) * x.dtype.type(scale))


class Dropout(Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise OpError(f"Dropout: probability p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"

"""Dropout: zero each element with probability p while training, scaling the
survivors by 1 / (1 - p) so that the expected value is unchanged (inverted
dropout); the identity in eval mode."""

from .. import backend
from ..errors import OpError
from .module import Module


def dropout(x, p=0.5, training=True):
    """y = x * m / (1 - p),  m ~ Bernoulli(1 - p) elementwise (y = 0 when p = 1)."""
    if not 0.0 <= p <= 1.0:
        raise OpError(f"dropout: probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    keep = backend.rng().random(x.shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return x * backend.as_array(keep * scale, dtype=x.dtype, device=x.device)


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

"""Dropout: zero each element with probability p while training, scaling the
survivors by 1 / (1 - p) so that the expected value is unchanged (inverted
dropout); the identity in eval mode.

The mask is drawn by the generator of x's device (see backend.rng), so on a
GPU it is made there and never copied from the host.

Dropout1d and Dropout2d drop whole channels (one draw per sample and channel), for
inputs whose neighbouring positions are correlated.
"""

import warnings

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
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise OpError(f"{type(self).__name__}: probability p must be in [0, 1], got {p}")
        self.p = p
        self.inplace = inplace  # accepted for PyTorch's programs; the result is always a new tensor

    def forward(self, x):
        return dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


def _channel_dropout(name, x, p, training, batch_axes):
    """Zero whole channels: m ~ Bernoulli(1 - p) of shape x.shape[:batch_axes] + (1, ...), broadcast over
    the remaining (spatial) axes; y = x * m / (1 - p)."""
    if not 0.0 <= p <= 1.0:
        raise OpError(f"{name}: probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    mask_shape = tuple(x.shape[:batch_axes]) + (1,) * (x.ndim - batch_axes)
    keep = backend.rng(x.device).random(mask_shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return x * (keep.astype(x.dtype) * x.dtype.type(scale))


def dropout1d(x, p=0.5, training=True):
    """Channel-wise dropout for (N, C, L) or unbatched (C, L): each channel of each sample is zeroed
    with probability p (the survivors scaled by 1 / (1 - p))."""
    if x.ndim not in (2, 3):
        raise OpError(f"dropout1d: expected 2D (C, L) or 3D (N, C, L) input, but received a {x.ndim}D input of "
                      f"shape {tuple(x.shape)}")
    return _channel_dropout("dropout1d", x, p, training, x.ndim - 1)


def dropout2d(x, p=0.5, training=True):
    """Channel-wise dropout for (N, C, H, W): each channel of each sample is zeroed with probability p.
    As PyTorch's, a 3D input is read as (N, C, L) (with PyTorch's warning), other ranks >= 2 as (N, C, *)."""
    if x.ndim < 2:
        raise OpError(f"dropout2d: feature dropout requires at least 2 dimensions in the input, got shape "
                      f"{tuple(x.shape)}")
    if x.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
                      UserWarning, stacklevel=2)
    elif x.ndim != 4:
        warnings.warn(f"dropout2d: Received a {x.ndim}-D input to dropout2d; it expects 3D or 4D inputs (a "
                      "channel dimension, two spatial ones and an optional batch dimension)", UserWarning,
                      stacklevel=2)
    return _channel_dropout("dropout2d", x, p, training, 2)


class Dropout1d(Dropout):
    """Zero whole channels of (N, C, L) or (C, L) while training: see dropout1d."""

    def forward(self, x):
        return dropout1d(x, self.p, self.training)


class Dropout2d(Dropout):
    """Zero whole channels of (N, C, H, W) while training: see dropout2d."""

    def forward(self, x):
        return dropout2d(x, self.p, self.training)

"""Linear: an affine map of the last axis."""

import math
import numbers

from .. import backend
from ..errors import ArgumentTypeError, OpError
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


def uniform_parameter(shape, bound, dtype=None):
    """A Parameter drawn from U(-bound, bound) with the library's generator (the default float dtype)."""
    return Parameter(backend.rng().uniform(-bound, bound, size=shape).astype(dtype or backend.default_float()))


class Linear(Module):
    """y = x W^T + b,  x: (..., in_features), W: (out_features, in_features), b: (out_features,)

    Initialised as PyTorch's: W and b from U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        for name, size in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(size, numbers.Integral) or isinstance(size, bool):
                raise ArgumentTypeError(f"Linear: {name} must be an int, got {type(size).__name__} {size!r}")
            if size < 0:
                raise OpError(f"Linear: {name} must be an int >= 0, got {size!r}")
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
        self.weight = uniform_parameter((out_features, in_features), bound)
        self.register_parameter("bias", uniform_parameter((out_features,), bound) if bias else None)
        if device is not None or dtype is not None:  # PyTorch's factory arguments: drawn, then moved
            self.to(*[a for a in (device, dtype) if a is not None])

    def forward(self, x):
        if not isinstance(x, Tensor):
            raise OpError(f"Linear: input must be a Tensor, got {type(x).__name__}")
        if x.shape[-1:] != (self.in_features,):
            raise OpError(f"Linear: expected input of shape (..., {self.in_features}), got {tuple(x.shape)}")
        if x.dtype.kind != "f":
            raise OpError(f"Linear: input must be floating point like the weight ({self.weight.dtype}), got dtype "
                          f"{x.dtype}; convert it with .float() (integer ids go through nn.Embedding)")
        y = x @ self.weight.T
        return y + self.bias if self.bias is not None else y

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

"""Layer normalisation (Ba et al., 2016), as torch.nn.LayerNorm: each sample is normalised over its
last dimensions, the ones named by normalized_shape,

    mu = mean(x),  var = mean((x - mu)^2)               over the last len(normalized_shape) axes
    y = (x - mu) / sqrt(var + eps) * weight + bias      weight, bias: normalized_shape

x: (*, *normalized_shape). Made of primitive ops (mean, sub, mul, sqrt, div), so autograd derives
its backward. The variance is the biased one (divided by n), as PyTorch's.
"""

from .. import backend
from ..errors import OpError
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


def _shape(where_, normalized_shape):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape):
        raise OpError(f"{where_}: normalized_shape must be a positive int or a non-empty tuple of positive ints, "
                      f"got {normalized_shape!r}")
    return shape


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the last len(normalized_shape) axes."""
    shape = _shape("layer_norm", normalized_shape)
    if not isinstance(input, Tensor):
        raise OpError(f"layer_norm: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise OpError(f"layer_norm: given normalized_shape={list(shape)}, expected input with shape "
                      f"[*, {', '.join(map(str, shape))}], but got input of size {list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise OpError(f"layer_norm: {name} must have shape {shape} (normalized_shape), got {tuple(t.shape)}")
    dims = tuple(range(-len(shape), 0))
    centered = input - input.mean(dim=dims, keepdim=True)
    y = centered / ((centered * centered).mean(dim=dims, keepdim=True) + eps).sqrt()
    if weight is not None:
        y = y * weight
    return y + bias if bias is not None else y


class LayerNorm(Module):
    """LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None)

    Parameters weight (ones) and bias (zeros) of shape normalized_shape when elementwise_affine
    (bias=False leaves the bias out); forward(x) -> layer_norm(x, normalized_shape, weight, bias, eps).
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape("LayerNorm", normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = backend.default_float() if dtype is None else dtype
        ones, zeros = backend.np.ones(self.normalized_shape, dtype), backend.np.zeros(self.normalized_shape, dtype)
        self.register_parameter("weight", Parameter(ones, device=device) if elementwise_affine else None)
        self.register_parameter("bias", Parameter(zeros, device=device) if elementwise_affine and bias else None)

    def reset_parameters(self):
        if self.weight is not None:
            self.weight.data.fill_(1.0)
        if self.bias is not None:
            self.bias.data.fill_(0.0)

    def forward(self, x):
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"

"""The layer normalisation the Transformer layers use (PyTorch's LayerNorm over the last dimension).

    y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias      x: (..., d); weight, bias: (d,)

var is the biased variance (divided by d), as PyTorch's. Parameter names weight and bias are
PyTorch's, so a torch.nn.Transformer state_dict loads unchanged. Kept private to the
Transformer file until the library has its own nn.LayerNorm, which takes its place.
"""

from .. import backend
from ..errors import OpError
from .module import Module
from .parameter import Parameter


class _Norm(Module):
    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        d = normalized_shape[0] if isinstance(normalized_shape, (tuple, list)) and len(normalized_shape) == 1 \
            else normalized_shape
        if isinstance(d, bool) or not isinstance(d, int) or d <= 0:
            raise OpError(f"LayerNorm: normalized_shape must be a positive int (the last dimension), "
                          f"got {normalized_shape!r}")
        self.normalized_shape, self.eps, self.elementwise_affine = (d,), eps, elementwise_affine
        np = backend.np
        self.register_parameter("weight", Parameter(np.ones(d, dtype=np.float32)) if elementwise_affine else None)
        self.register_parameter("bias", Parameter(np.zeros(d, dtype=np.float32))
                                if elementwise_affine and bias else None)

    def forward(self, x):
        if x.ndim == 0 or x.shape[-1] != self.normalized_shape[0]:
            raise OpError(f"LayerNorm: expected input of shape (..., {self.normalized_shape[0]}), "
                          f"got {tuple(x.shape)}")
        centred = x - x.mean(dim=-1, keepdim=True)
        var = (centred * centred).mean(dim=-1, keepdim=True)
        y = centred / (var + self.eps).sqrt()
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"

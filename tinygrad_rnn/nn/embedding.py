"""Embedding: a lookup table from integer ids to learned vectors."""

import numbers

from .. import backend
from ..autograd import Function, no_grad
from ..errors import OpError
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class EmbeddingLookup(Function):
    """out = W[ids],  W: (num_embeddings, dim), ids: any integer shape -> ids.shape + (dim,)

    dW[k] = sum of g over the positions whose id is k (repeats accumulate), and
    the row `padding_idx` gets no gradient at all, as in PyTorch."""


    def __init__(self, ids, padding_idx=None):
        self.ids, self.padding_idx = ids, padding_idx

    def forward(self, weight):
        self.shape = weight.shape
        return weight[self.ids]

    def backward(self, g):
        xp = backend.xp_of(g)
        dw = xp.zeros(self.shape, dtype=g.dtype)
        backend.scatter_add(dw, self.ids.reshape(-1), g.reshape(-1, self.shape[1]))
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return dw


def embedding(ids, weight, padding_idx=None):
    """Rows of `weight` picked by integer `ids` (a Tensor, array or list)."""
    ids = ids.array if isinstance(ids, Tensor) else backend.as_array(ids, device=weight.device)
    if ids.dtype.kind not in "iu":
        raise OpError(f"embedding: ids must be integers, got dtype {ids.dtype}")
    if backend.device_of(ids) != weight.device:
        raise backend.DeviceError(f"embedding: ids are on {backend.device_of(ids)} but the weight is on "
                                  f"{weight.device}; move them with .to(device)")
    n = weight.shape[0]
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= n):
        raise OpError(f"embedding: ids must lie in [0, {n}), got values from {int(ids.min())} to {int(ids.max())}")
    return EmbeddingLookup.apply(weight, ids=ids, padding_idx=padding_idx)


class Embedding(Module):
    """y = W[ids],  W: (num_embeddings, embedding_dim), ids: (...) -> (..., embedding_dim)

    Initialised as PyTorch's: W ~ N(0, 1), with the row `padding_idx` (if
    given; negative counts from the end) zero and never updated by gradients.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None):
        super().__init__()
        for name, size in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(size, numbers.Integral) or isinstance(size, bool) or size < 0:
                raise OpError(f"Embedding: {name} must be an int >= 0, got {size!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise OpError(f"Embedding: padding_idx {padding_idx} is out of range for "
                              f"{num_embeddings} embeddings")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = Parameter(backend.np.zeros((num_embeddings, embedding_dim), dtype=backend.float32))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, ids):
        return embedding(ids, self.weight, self.padding_idx)

    def extra_repr(self):
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"

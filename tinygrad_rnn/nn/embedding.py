"""Embedding: a lookup table from integer ids to learned vectors."""

import math
import numbers

from .. import backend
from ..autograd import Function, is_anomaly_enabled, no_grad
from ..errors import ArgumentTypeError, IndexArgumentError, OpError
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class EmbeddingLookup(Function):
    """out = W[ids],  W: (num_embeddings, dim), ids: any integer shape -> ids.shape + (dim,)

    dW[k] = sum of g over the positions whose id is k (repeats accumulate), and
    the row `padding_idx` gets no gradient at all, as in PyTorch.

    `invalid` (ids' shape, boolean, or None) marks ids outside [0, num_embeddings)
    that were not checked on the host (GPU ids, see `embedding`): their rows read
    as nan and send no gradient, where CuPy would silently wrap them around."""


    def __init__(self, ids, padding_idx=None, invalid=None):
        self.padding_idx, self.invalid = padding_idx, invalid
        self.ids = ids if invalid is None else backend.xp_of(ids).where(invalid, 0, ids)

    def forward(self, weight):
        self.shape = weight.shape
        rows = weight[self.ids]
        if self.invalid is None:
            return rows
        return backend.xp_of(rows).where(self.invalid[..., None], rows.dtype.type(math.nan), rows)

    def backward(self, g):
        xp = backend.xp_of(g)
        if self.invalid is not None:
            g = xp.where(self.invalid[..., None], g.dtype.type(0), g)
        dw = xp.zeros(self.shape, dtype=g.dtype)
        backend.scatter_add(dw, self.ids.reshape(-1), g.reshape(-1, self.shape[1]))
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return dw


def embedding(ids, weight, padding_idx=None):
    """Rows of `weight` picked by integer `ids` (a Tensor, array or list).

    Ids given on the host (lists, NumPy arrays) are checked to lie in [0, num_embeddings)
    there, before they are copied to the weight's device. Ids already on a GPU are checked on
    the GPU without making it wait (a lookup a step must not stop the GPU): an id out
    of range reads a row of nan, so the loss turns nan, and adds no gradient; under
    `tr.detect_anomaly()` they are read back and raise the same error as on the CPU.
    """
    n, given_tensor = weight.shape[0], isinstance(ids, Tensor)
    ids = ids.array if given_tensor else ids if backend.is_array(ids) else backend.np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise OpError(f"embedding: ids must be integers, got dtype {ids.dtype}")
    checked = False
    if not given_tensor and backend.device_of(ids) != weight.device:
        if weight.device == "cuda":  # host ids for a GPU weight: checked before they are copied
            _check_ids(ids, n)
            checked = True
        ids = backend.to_device(ids, weight.device)
    if backend.device_of(ids) != weight.device:
        raise backend.DeviceError(f"embedding: ids are on {backend.device_of(ids)} but the weight is on "
                                  f"{weight.device}; move them with .to(device)")
    invalid = None
    if weight.device == "cpu" or is_anomaly_enabled():
        _check_ids(ids, n)
    elif not checked:
        invalid = (ids < 0) | (ids >= n)
    return EmbeddingLookup.apply(weight, ids=ids, padding_idx=padding_idx, invalid=invalid)


def _check_ids(ids, n):
    """Raise unless every id lies in [0, n) (reads GPU ids back: call it for host ids, or when asked)."""
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= n):
        raise OpError(f"embedding: ids must lie in [0, {n}), got values from {int(ids.min())} to {int(ids.max())}")


class Embedding(Module):
    """y = W[ids],  W: (num_embeddings, embedding_dim), ids: (...) -> (..., embedding_dim)

    Initialised as PyTorch's: W ~ N(0, 1), with the row `padding_idx` (if
    given; negative counts from the end) zero and never updated by gradients.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        for name, value, default in (("max_norm", max_norm, None), ("scale_grad_by_freq", scale_grad_by_freq, False),
                                     ("sparse", sparse, False)):
            if value != default:
                raise OpError(f"Embedding: {name}={value!r} is not provided (renormalised rows, frequency-scaled "
                              f"and sparse gradients are left out); leave it at {default!r}")
        for name, size in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(size, numbers.Integral) or isinstance(size, bool):
                raise ArgumentTypeError(f"Embedding: {name} must be an int, got {type(size).__name__} {size!r}")
            if size < 0:
                raise OpError(f"Embedding: {name} must be an int >= 0, got {size!r}")
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral):
                raise IndexArgumentError(f"Embedding: padding_idx must be an int (a row of the table), got "
                                         f"{type(padding_idx).__name__} {padding_idx!r}")
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise OpError(f"Embedding: padding_idx {padding_idx} is out of range for "
                              f"{num_embeddings} embeddings")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        if _weight is not None:  # PyTorch's private argument, from_pretrained's: the table as given, no draw
            self.weight = Parameter(_weight, requires_grad=not _freeze)
            return
        self.weight = Parameter(backend.np.zeros((num_embeddings, embedding_dim), dtype=backend.default_float()))
        self.reset_parameters()
        if device is not None or dtype is not None:  # PyTorch's factory arguments: drawn, then moved
            self.to(*[a for a in (device, dtype) if a is not None])

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding whose table is `embeddings` (num_embeddings, embedding_dim), its storage shared as
        in PyTorch; frozen (requires_grad False) unless freeze=False. The padding row keeps its values."""
        if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
            shape = tuple(embeddings.shape) if isinstance(embeddings, Tensor) else type(embeddings).__name__
            raise OpError(f"Embedding.from_pretrained: embeddings must be a 2-D Tensor (num_embeddings, "
                          f"embedding_dim), got {shape}")
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx=padding_idx, _weight=embeddings, _freeze=freeze)

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

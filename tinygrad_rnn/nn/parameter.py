"""Parameter: a Tensor that a Module registers as one of its weights."""

from ..backend import float32
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor with requires_grad=True that Modules collect automatically."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True, dtype=None, device=None):
        if isinstance(data, Tensor):
            data = data.array
        super().__init__(data, requires_grad=requires_grad,
                         dtype=dtype if dtype is not None or getattr(data, "dtype", None) is not None else float32,
                         device=device)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

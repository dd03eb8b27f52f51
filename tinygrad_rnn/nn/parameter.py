"""Parameter: a Tensor that a Module registers as one of its weights."""

from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor with requires_grad=True that Modules collect automatically.

    Parameter(t) for a Tensor t shares t's storage and version counter, as PyTorch's
    nn.Parameter(t) does (no copy); from other data (an array, a list) it makes a new
    storage, keeping an array's dtype (float32 for Python numbers)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True, dtype=None, device=None):
        if data is None:
            data = []
        if isinstance(data, Tensor) and dtype is None and device is None:
            super().__init__(0.0)
            self._data, self._counter = data._data, data._counter  # the same storage, as nn.Parameter(t)
            self.requires_grad_(requires_grad)
            return
        if isinstance(data, Tensor):
            data = data.array
        super().__init__(data, requires_grad=requires_grad,
                         dtype=dtype if dtype is not None or getattr(data, "dtype", None) is None else data.dtype,
                         device=device)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

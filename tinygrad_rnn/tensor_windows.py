"""Sliding windows over one dimension, PyTorch's x.unfold(dimension, size, step).

    x: (..., L, ...)  ->  (..., n, ..., size),  n = (L - size) // step + 1
    out[..., i, ..., j] = x[..., i * step + j, ...]

Built from index_select (every window's indices at once) and movedim, so the gradient adds each
window's part back where it came from, overlapping windows summing, as PyTorch's.
"""

from . import backend
from .errors import OpError
from .tensor_math import check_int, dim_index


class WindowMethods:
    __slots__ = ()

    def unfold(self, dimension, size, step):
        dim = dim_index("unfold", dimension, max(self._data.ndim, 1))
        size, step = check_int("unfold", "size", size), check_int("unfold", "step", step)
        length = self._data.shape[dim] if self._data.ndim else 1
        if step <= 0:
            raise OpError(f"unfold: step must be positive, got {step}")
        if not 0 <= size <= length:
            raise OpError(f"unfold: size {size} does not fit dimension {dim} of shape {tuple(self.shape)} "
                          f"(at most {length})")
        n = (length - size) // step + 1
        xp = backend.xp_for(self.device)
        starts = xp.arange(n, dtype=backend.np.int64)[:, None] * step
        index = (starts + xp.arange(size, dtype=backend.np.int64)[None, :]).reshape(-1)
        source = self.reshape(1) if self._data.ndim == 0 else self
        picked = source.index_select(dim, type(self)._make(index))        # (..., n * size, ...)
        shape = tuple(source.shape)
        windows = picked.reshape(shape[:dim] + (n, size) + shape[dim + 1:])  # (..., n, size, ...)
        out = windows.movedim(dim + 1, -1)
        return out.reshape(size) if self._data.ndim == 0 else out

"""The operators & | ^ ~ as PyTorch's: logical on bool tensors (`(x > 0) & ~mask`), bitwise on
integer ones; a float tensor is refused, as in PyTorch. Results never require grad.

    a & b   bitwise_and      a | b   bitwise_or      a ^ b   bitwise_xor      ~a   bitwise_not
"""

from . import backend, dtypes
from .errors import OpError


class BitwiseMethods:
    __slots__ = ()

    def _bitwise(self, other, ufunc, reverse=False):
        dtype = dtypes.result_type(self, other)
        if dtype.kind not in "biu":
            other_dtype = getattr(other, "dtype", type(other).__name__)
            raise OpError(f"{ufunc}: needs bool or integer operands, got {self.dtype} and {other_dtype}; "
                          "compare first (x > 0) or convert with .bool() / .long()")
        a = self._data if self._data.dtype == dtype else self._data.astype(dtype)
        b = self._operand(other, dtype, ufunc)._data
        xp = backend.xp_of(a)
        try:
            return self._make(xp.asarray(getattr(xp, ufunc)(b, a) if reverse else getattr(xp, ufunc)(a, b)))
        except ValueError:
            raise OpError(f"{ufunc}: shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast together") from None

    def __and__(self, other): return self._bitwise(other, "bitwise_and")
    def __rand__(self, other): return self._bitwise(other, "bitwise_and", reverse=True)
    def __or__(self, other): return self._bitwise(other, "bitwise_or")
    def __ror__(self, other): return self._bitwise(other, "bitwise_or", reverse=True)
    def __xor__(self, other): return self._bitwise(other, "bitwise_xor")
    def __rxor__(self, other): return self._bitwise(other, "bitwise_xor", reverse=True)
    def bitwise_and(self, other): return self._bitwise(other, "bitwise_and")
    def bitwise_or(self, other): return self._bitwise(other, "bitwise_or")
    def bitwise_xor(self, other): return self._bitwise(other, "bitwise_xor")

    def __invert__(self):
        if self.dtype.kind not in "biu":
            raise OpError(f"bitwise_not (~): needs a bool or integer tensor, got {self.dtype}; "
                          "compare first (x > 0) or convert with .bool() / .long()")
        return self._make(backend.xp_of(self._data).invert(self._data))

    def bitwise_not(self): return ~self

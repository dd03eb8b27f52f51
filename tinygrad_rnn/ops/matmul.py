"""Matrix product with NumPy's rules: 1-D, 2-D and batched (broadcast) operands."""

from ..autograd import Function
from ..errors import OpError


class MatMul(Function):
    """out = a @ b,  a: (..., n, k), b: (..., k, m) -> (..., n, m)

    da = g @ b^T,  db = a^T @ g. A 1-D a is a row (1, k) and a 1-D b a
    column (k, 1) for the product, and that axis is dropped again after.
    """

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise OpError(f"matmul: operands must have at least one axis, got shapes {a.shape} and {b.shape}")
        k_a = a.shape[-1]
        k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if k_a != k_b:
            which = "only" if b.ndim == 1 else "second-to-last"
            raise OpError(f"matmul: shapes {a.shape} and {b.shape} do not align: the last axis of the first "
                          f"({k_a}) must equal the {which} axis of the second ({k_b})")
        self.save(a, b)
        return a @ b

    def backward(self, g):
        a, b = self.saved
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = g[..., None, :] if b.ndim > 1 else g[..., None]
        if b.ndim == 1:
            g = g[..., None]
        ga = gb = None
        if self.needs_grad[0]:
            ga = g @ b2.swapaxes(-1, -2)
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if self.needs_grad[1]:
            gb = a2.swapaxes(-1, -2) @ g
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb

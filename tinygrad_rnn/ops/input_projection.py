"""The recurrent fast path's input projection: one matmul per gate for every step, gate-major.

    out[k] = x W_k^T + b_1[k] + ... + b_m[k]     x: (N, in), W: (G*H, in), each b: (G*H,)  ->  out: (G, N, H)
    dx = sum_k g[k] W_k,   dW_k = g[k]^T x,   db_j[k] = sum over rows of g[k]

W_k is rows k*H..(k+1)*H of W (gate k in PyTorch's order), N = T * batch: the
input share of every step's gates at once. The result is gate-major, (G, N, H)
rather than (N, G*H), so that each gate of each step is one contiguous (batch, H)
block: NumPy's pointwise loops run two to four times faster on a contiguous block
than on a column slice of a wider array, and the cells do some twenty pointwise
passes per step (docs/benchmarks.md). Written as matmuls and adds it would keep two
(G, N, H) arrays alive for backward (the product and the sum); here the biases go
into the product's own array.
"""

from ..autograd import Function
from ..backend import xp_of


class InputProjection(Function):
    """(x, weight, *biases) -> gate-major (G, N, H) x weight^T + sum of biases; equations in the module docstring."""

    def __init__(self, gates):
        self.gates = gates

    def forward(self, x, weight, *biases):
        gates = self.gates
        if x.ndim != 2 or weight.ndim != 2 or x.shape[1] != weight.shape[1] or weight.shape[0] % gates:
            raise ValueError(f"input projection: expected x (N, in) and weight ({gates} * H, in), got {x.shape} "
                             f"and {weight.shape}")
        hidden = weight.shape[0] // gates
        stacked = weight.reshape(gates, hidden, weight.shape[1])          # (G, H, in)
        out = xp_of(x).matmul(x, stacked.transpose(0, 2, 1))              # (G, N, H): one GEMM per gate
        if biases:
            bias = biases[0]
            for b in biases[1:]:
                bias = bias + b  # (G*H,): cheaper than another pass over (G, N, H)
            out += bias.reshape(gates, 1, hidden)
        self.save(x, weight)
        return out

    def backward(self, g):
        x, weight = self.saved
        gates, hidden = g.shape[0], g.shape[2]
        stacked = weight.reshape(gates, hidden, weight.shape[1])
        dx = None
        if self.needs_grad[0]:
            dx = g[0] @ stacked[0]
            for k in range(1, gates):
                dx += g[k] @ stacked[k]
        dweight = xp_of(g).matmul(g.transpose(0, 2, 1), x).reshape(weight.shape) if self.needs_grad[1] else None
        dbias = g.sum(axis=1).reshape(-1) if any(self.needs_grad[2:]) else None
        return (dx, dweight) + tuple(dbias if i == 0 else dbias.copy() for i in range(len(self.needs_grad) - 2))

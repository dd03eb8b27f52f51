"""The recurrent fast path's input projection: one matmul for every step, biases added in place.

    out = x W^T + b_1 + ... + b_k        x: (N, in), W: (G*H, in), each b: (G*H,)  ->  (N, G*H)
    dx = g W,   dW = g^T x,   db_j = sum over rows of g

N = T * batch: the input share of every step's gates at once. Written as a
matmul and adds it would keep two (N, G*H) arrays alive for backward (the
product and the sum); here the biases go into the product's own array.
"""

from ..autograd import Function


class InputProjection(Function):
    """(x, weight, *biases) -> x weight^T + sum of biases; the equations are in the module docstring."""

    def forward(self, x, weight, *biases):
        if x.ndim != 2 or weight.ndim != 2 or x.shape[1] != weight.shape[1]:
            raise ValueError(f"input projection: expected x (N, in) and weight (out, in), got {x.shape} "
                             f"and {weight.shape}")
        out = x @ weight.T
        if biases:
            bias = biases[0]
            for b in biases[1:]:
                bias = bias + b  # (G*H,): cheaper than another pass over (N, G*H)
            out += bias
        self.save(x, weight)
        return out

    def backward(self, g):
        x, weight = self.saved
        dx = g @ weight if self.needs_grad[0] else None
        dweight = g.T @ x if self.needs_grad[1] else None
        dbias = g.sum(axis=0) if any(self.needs_grad[2:]) else None
        return (dx, dweight) + tuple(dbias if i == 0 else dbias.copy() for i in range(len(self.needs_grad) - 2))

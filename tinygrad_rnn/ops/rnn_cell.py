"""The Elman RNN cell's pointwise maths as one op, with its backward written by hand.

    gates_x = x_t W_ih^T + b_ih + b_hh     (batch, H)  all steps at once, before the loop
    gates_h = h_{t-1} W_hh^T               (batch, H)
    h_t = tanh(gates_x + gates_h)   or   relu(gates_x + gates_h)

Backward: da = dh (1 - h_t^2) for tanh, dh [h_t > 0] for relu; the same da
goes to gates_x and gates_h.
"""

from ..autograd import Function
from ..backend import xp_of

NONLINEARITIES = ("tanh", "relu")


class FusedRNNCell(Function):
    """(gates_x, gates_h) -> h_t = nonlinearity(gates_x + gates_h)."""

    def __init__(self, nonlinearity="tanh"):
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"RNN cell: nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
        self.nonlinearity = nonlinearity

    def forward(self, gates_x, gates_h):
        if gates_x.shape != gates_h.shape:
            raise ValueError(f"RNN cell: gates_x and gates_h must have the same shape (batch, H), "
                             f"got {gates_x.shape} and {gates_h.shape}")
        h = gates_x + gates_h
        if self.nonlinearity == "tanh":
            xp_of(h).tanh(h, out=h)
        else:
            xp_of(h).maximum(h, 0, out=h)
        self.save(h)
        return h

    def backward(self, dh):
        h = self.saved[0]
        da = dh * (1 - h * h) if self.nonlinearity == "tanh" else dh * (h > 0)
        return da, da

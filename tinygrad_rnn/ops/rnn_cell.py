"""The Elman RNN cell's pointwise maths as one op, with its backward written by hand.

    gates_x = x_t W_ih^T + b_ih + b_hh     (batch, H)  all steps at once, before the loop
    gates_h = h_{t-1} W_hh^T               (batch, H)
    (on the layer's fast path both come as (1, batch, H), the one-gate case of the
    gate-major layout of ops/input_projection.py)
    h_t = tanh(gates_x + gates_h)   or   relu(gates_x + gates_h)

Backward: da = dh (1 - h_t^2) for tanh, dh [h_t > 0] for relu; the same da
goes to gates_x and gates_h.

    FusedRNNCell   (gates_x, gates_h) -> h_t, the cell alone
    FusedRNNStep   (gates_x, h_{t-1}, W_hh) -> h_t on the layer's fast path: also
                   gates_h = h_{t-1} W_hh^T, and h_t built in its row of the layer's
                   output (RecurrentWeight), so no stacking copy follows; backward
                   writes da into gates_x, the step's rows of the layer's own
                   projection, which nothing reads after forward, and returns
                   dh_{t-1} = da W_hh
"""

from ..autograd import Function
from ..backend import xp_of

NONLINEARITIES = ("tanh", "relu")


def _check(nonlinearity):
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"RNN cell: nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    return nonlinearity


def _check_shapes(gates_x, gates_h):
    if gates_x.shape != gates_h.shape:
        raise ValueError(f"RNN cell: gates_x and gates_h must have the same shape, (batch, H) or (1, batch, H) "
                         f"on the fast path, got {gates_x.shape} and {gates_h.shape}")


def cell_forward(h, nonlinearity):
    """h <- nonlinearity(h) in place."""
    if nonlinearity == "tanh":
        return xp_of(h).tanh(h, out=h)
    return xp_of(h).maximum(h, 0, out=h)


def cell_backward(h, dh, nonlinearity, da):
    """da <- dL/d(pre-activation) = dh (1 - h^2) or dh [h > 0]."""
    xp = xp_of(h)
    if nonlinearity == "tanh":  # as dh - dh h h: no Python scalar, which costs a conversion per call
        xp.multiply(dh, h, out=da)
        da *= h
        xp.subtract(dh, da, out=da)
    else:
        xp.multiply(dh, h > 0, out=da)
    return da


class FusedRNNCell(Function):
    """(gates_x, gates_h) -> h_t = nonlinearity(gates_x + gates_h)."""

    def __init__(self, nonlinearity="tanh"):
        self.nonlinearity = _check(nonlinearity)

    def forward(self, gates_x, gates_h):
        _check_shapes(gates_x, gates_h)
        h = cell_forward(gates_x + gates_h, self.nonlinearity)
        self.save(h)
        return h

    def backward(self, dh):
        h = self.saved[0]
        da = cell_backward(h, dh, self.nonlinearity, xp_of(h).empty_like(h))
        return da, da


class FusedRNNStep(Function):
    """(gates_x (1, B, H), h_{t-1}, weight_hh) -> h_t, with gates_h = h_{t-1} W_hh^T made here by `recurrent`
    (a RecurrentWeight) for step t; weight_hh's gradient comes from the sequence."""

    def __init__(self, recurrent, t, nonlinearity="tanh"):
        self.recurrent, self.t, self.nonlinearity = recurrent, t, _check(nonlinearity)

    def forward(self, gates_x, h_prev, weight_hh):
        recurrent = self.recurrent
        gates_h = recurrent.hidden_product(h_prev, self.t)
        _check_shapes(gates_x, gates_h)
        h = xp_of(gates_x).add(gates_x[0], gates_h[0], out=recurrent.output_row(self.t))
        cell_forward(h, self.nonlinearity)
        self.save(h, weight_hh)  # weight_hh only for the version check
        return h

    def backward(self, dh):
        h = self.saved[0]
        # gates_x, this step's rows of the projection, is read by no backward (the projection keeps
        # x and W_ih): da goes there, under retain_graph too
        da = self.recurrent.grad_rows_in_place(self.t)  # (1, B, H)
        cell_backward(h, dh, self.nonlinearity, da[0])
        dh_prev = self.recurrent.hidden_gradient(da) if self.needs_grad[1] else None
        return da, dh_prev, None

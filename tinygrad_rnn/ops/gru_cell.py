"""The GRU cell's pointwise maths as one op, with its backward written by hand.

The fast path of nn.GRU and nn.GRUCell gets the pre-activations from matmuls
and hands them here; b_hn stays on the h side because r multiplies it:

    gates_x = x_t W_ih^T + b_ih            (3, batch, H)  all steps at once, before the loop
    gates_h = h_{t-1} W_hh^T + b_hh        (3, batch, H)
    both gate-major in PyTorch's order r, z, n:
    r = sigmoid(x_r + h_r),  z = sigmoid(x_z + h_z)
    n = tanh(x_n + r * h_n)
    h_t = (1 - z) * n + z * h_{t-1}        (batch, H)

Backward, given dh = dL/dh_t (and dr = dL/dr, when r was used):

    dn = dh (1 - z) (1 - n^2)              gradient of n's pre-activation
    dz = dh (h_{t-1} - n) z (1 - z)
    dr' = (dn h_n + dr) r (1 - r)
    d gates_x = [dr', dz, dn],  d gates_h = [dr', dz, dn * r],  dh_{t-1} = dh * z + d gates_h W_hh

The maths works on gate-major activations act (3, batch, H): act[0..2] are r, z, n,
each a (batch, H) array (on the fast path each one contiguous block, see
ops/input_projection.py). Two ops share it:

    FusedGRUCell   (gates_x, gates_h, h_{t-1}) -> (h_t, r), the cell alone, on (batch, 3H)
                   inputs in PyTorch's column order
    FusedGRUStep   (gates_x, h_{t-1}, W_hh) -> h_t on the layer's fast path, gates_x
                   being the step's (3, batch, H) piece of the layer's projection: also
                   gates_h = h_{t-1} W_hh^T + b_hh, with r, z and n built in place in
                   gates_x, and h_n kept in its rows of one buffer for all steps
                   (RecurrentWeight); backward turns both into d gates_x and
                   d h_n = dn * r in place (into copies under retain_graph=True), from
                   which W_hh and b_hh get their gradients once for the sequence
                   (ops/recurrent_weight.py), and returns dh_{t-1}
"""

from ..autograd import Function
from ..backend import xp_of
from .gate_layout import check_gates, gate_major
from .lstm_cell import sigmoid_


def cell_forward(act, h_n, h_prev, h_out=None, scratch=None):
    """act: the pre-activations (3, B, H), x_n in the n gate: r, z and n are built there in place;
    h_n = h W_hn^T + b_hn -> h_t, written into h_out when given (a row of the layer's output).
    scratch: a (B, H) array free for r * h_n, else a fresh one is made."""
    xp = xp_of(h_n)
    sigmoid_(act[0:2])
    r, z, n = act
    n += xp.multiply(r, h_n, out=scratch)
    xp.tanh(n, out=n)
    h = xp.subtract(h_prev, n, out=h_out)  # h_t = n + z (h_{t-1} - n) = (1 - z) n + z h_{t-1}
    h *= z
    h += n
    return h


def cell_backward(act, h_n, h_prev, dh, d_reset=None):
    """Turn act (3, B, H), holding r, z, n, into d gates_x = [dr', dz, dn] and h_n (B, H) into
    d h_n = dn * r, both in place; return dh * z, the direct path's share of dh_{t-1}.
    Each slot is read for the last time as its gradient is written."""
    xp = xp_of(h_n)
    r, z, n = act
    dh_prev = dh * z
    gate = xp.subtract(1, z)
    tmp = xp.subtract(h_prev, n)    # dh (h_{t-1} - n), for dz
    tmp *= dh
    n *= n                          # dn = dh (1 - z) (1 - n^2)
    xp.subtract(1, n, out=n)
    n *= gate
    n *= dh
    gate *= z                       # dz = dh (h_{t-1} - n) z (1 - z)
    xp.multiply(tmp, gate, out=z)
    xp.multiply(n, h_n, out=tmp)    # dL/dr = dn h_n (+ dr)
    if d_reset is not None:
        tmp += d_reset
    xp.multiply(n, r, out=h_n)      # d h_n = dn r
    xp.subtract(1, r, out=gate)     # dr' = dL/dr r (1 - r)
    gate *= r
    xp.multiply(tmp, gate, out=r)
    return dh_prev


class FusedGRUCell(Function):
    """(gates_x, gates_h, h_{t-1}) -> (h_t, r), on (batch, 3H) gates; the equations are in the module docstring."""

    def forward(self, gates_x, gates_h, h_prev):
        check_gates("GRU", "cell", gates_x, gates_h, "h_prev", h_prev, h_prev.shape[:-1] + (3 * h_prev.shape[-1],))
        hidden = h_prev.shape[-1]
        rows = gates_x.copy()  # r, z and n are built in this fresh array
        rows[..., :2 * hidden] += gates_h[..., :2 * hidden]
        h_n = gates_h[..., 2 * hidden:]
        h = cell_forward(gate_major(rows, 3), h_n, h_prev)
        self.save(rows, h_n, h_prev)
        return h, rows[..., :hidden].copy()  # r: a copy, because backward overwrites rows

    def backward(self, dh, d_reset):
        rows, h_n, h_prev = self.saved
        xp = xp_of(rows)
        if self.retain_graph:  # rows must survive for the next backward
            rows = rows.copy()
        dhn = h_n.copy()          # h_n is a view of the input gates_h: never written
        if dh is None:
            dh = xp.zeros_like(h_prev)
        dh_prev = cell_backward(gate_major(rows, 3), dhn, h_prev, dh, d_reset)
        dgates_h = xp.concatenate([rows[..., :2 * h_n.shape[-1]], dhn], axis=-1) if self.needs_grad[1] else None
        return rows, dgates_h, (dh_prev if self.needs_grad[2] else None)


class FusedGRUStep(Function):
    """(gates_x (3, B, H), h_{t-1}, weight_hh) -> h_t, with gates_h = h_{t-1} W_hh^T + b_hh made here by
    `recurrent` (a RecurrentWeight) for step t; weight_hh's and b_hh's gradients come from the sequence."""

    def __init__(self, recurrent, t):
        self.recurrent, self.t = recurrent, t

    def forward(self, gates_x, h_prev, weight_hh):
        recurrent = self.recurrent
        gates_h = recurrent.hidden_product(h_prev, self.t)
        check_gates("GRU", "step", gates_x, gates_h, "h_prev", h_prev, (3,) + h_prev.shape)
        # gates_x is this step's piece of the layer's own input projection, which nothing else reads
        # (its backward keeps x and W_ih): r, z and n are built there; h_n outlives the scratch gates_h
        act = gates_x
        act[0:2] += gates_h[0:2]
        h_n = recurrent.hn_rows(self.t)
        h_n[...] = gates_h[2]
        # h_t goes into its row of the layer's output (no stacking copy); gates_h's r block is free scratch
        h = cell_forward(act, h_n, h_prev, recurrent.output_row(self.t), gates_h[0])
        self.save(act, h_n, h_prev, weight_hh)  # weight_hh only for the version check
        return h

    def backward(self, dh):
        act, h_n, h_prev, _ = self.saved
        recurrent, t = self.recurrent, self.t
        if self.retain_graph:  # the activations must survive: their gradients go into fresh buffers
            dx, dhn = recurrent.grad_rows(t), recurrent.hn_grad_rows(t)
            dx[...] = act
            dhn[...] = h_n
        else:  # the step's own piece of the projection and rows of h_n become their gradients in place
            dx, dhn = recurrent.grad_rows_in_place(t), recurrent.hn_grad_rows_in_place(t)
        dh_prev = cell_backward(dx, dhn, h_prev, dh)
        if not self.needs_grad[1]:
            return dx, None, None
        dh_prev += recurrent.hidden_gradient((dx[0], dx[1], dhn))  # d gates_h = [dr', dz, d h_n]
        return dx, dh_prev, None

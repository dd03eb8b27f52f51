"""The GRU cell's pointwise maths as one op, with its backward written by hand.

The fast path of nn.GRU and nn.GRUCell gets the pre-activations from matmuls
and hands them here; b_hn stays on the h side because r multiplies it:

    gates_x = x_t W_ih^T + b_ih            (batch, 3H)  all steps at once, before the loop
    gates_h = h_{t-1} W_hh^T + b_hh        (batch, 3H)
    both cut in H columns in PyTorch's order r, z, n:
    r = sigmoid(x_r + h_r),  z = sigmoid(x_z + h_z)
    n = tanh(x_n + r * h_n)
    h_t = (1 - z) * n + z * h_{t-1}        (batch, H)

The op returns h_t and the reset gate r: the layer's fast path records r_t,
because W_hh's gradient sees the n columns of d gates_h scaled by it.

Backward, given dh = dL/dh_t (and dr = dL/dr, when r was used):

    dn = dh (1 - z) (1 - n^2)              gradient of n's pre-activation
    dz = dh (h_{t-1} - n) z (1 - z)
    dr' = (dn h_n + dr) r (1 - r)
    d gates_x = [dr', dz, dn],  d gates_h = [dr', dz, dn * r],  dh_{t-1} = dh * z + d gates_h W_hh

Two ops share the maths:

    FusedGRUCell   (gates_x, gates_h, h_{t-1}) -> (h_t, r), the cell alone
    FusedGRUStep   (gates_x, h_{t-1}, W_hh) -> h_t on the layer's fast path: also
                   gates_h = h_{t-1} W_hh^T + b_hh, with r, z and n built in place in
                   gates_x, the step's rows of the layer's own projection, and h_n kept
                   in its rows of one buffer for all steps (RecurrentWeight); backward
                   turns both into d gates_x and d h_n = dn * r in place (into copies
                   under retain_graph=True), from which W_hh and b_hh get their
                   gradients once for the sequence (ops/recurrent_weight.py), and
                   returns dh_{t-1}
"""

from ..autograd import Function, is_retaining_graph
from ..backend import xp_of
from .lstm_cell import sigmoid_


def cell_forward(rz, n, h_n, h_prev, h_out=None, scratch=None):
    """rz: the r, z pre-activations (B, 2H) and n: x_n (B, H), both turned into the gates in place;
    h_n = h W_hn^T + b_hn -> h_t, written into h_out when given (a row of the layer's output).
    scratch: a (B, H) array free for r * h_n, else a fresh one is made."""
    hidden = h_n.shape[-1]
    xp = xp_of(n)
    sigmoid_(rz)
    r, z = rz[..., :hidden], rz[..., hidden:]
    n += xp.multiply(r, h_n, out=scratch)
    xp.tanh(n, out=n)
    h = xp.subtract(h_prev, n, out=h_out)  # h_t = n + z (h_{t-1} - n) = (1 - z) n + z h_{t-1}
    h *= z
    h += n
    return h


def cell_backward(act, h_n, h_prev, dh, d_reset=None):
    """Turn act (B, 3H), holding r, z, n, into d gates_x = [dr', dz, dn] and h_n (B, H) into
    d h_n = dn * r, both in place; return dh * z, the direct path's share of dh_{t-1}.
    Each slot is read for the last time as its gradient is written."""
    hidden = h_n.shape[-1]
    xp = xp_of(act)
    r, z, n = act[..., :hidden], act[..., hidden:2 * hidden], act[..., 2 * hidden:]
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


def _check_shapes(gates_x, gates_h, h_prev):
    hidden = h_prev.shape[-1]
    if gates_x.shape != gates_h.shape or gates_x.shape[-1] != 3 * hidden or gates_x.shape[:-1] != h_prev.shape[:-1]:
        raise ValueError(f"GRU cell: expected gates_x and gates_h of shape (batch, 3H) and h_prev (batch, H), "
                         f"got {gates_x.shape}, {gates_h.shape} and {h_prev.shape}")


class FusedGRUCell(Function):
    """(gates_x, gates_h, h_{t-1}) -> (h_t, r); the equations are in the module docstring."""

    def forward(self, gates_x, gates_h, h_prev):
        _check_shapes(gates_x, gates_h, h_prev)
        hidden = h_prev.shape[-1]
        act = gates_x.copy()  # r, z and n are built in this fresh array
        act[..., :2 * hidden] += gates_h[..., :2 * hidden]
        h_n = gates_h[..., 2 * hidden:]
        h = cell_forward(act[..., :2 * hidden], act[..., 2 * hidden:], h_n, h_prev)
        self.save(act, h_n, h_prev)
        return h, act[..., :hidden].copy()  # r: a copy, because backward overwrites act

    def backward(self, dh, d_reset):
        act, h_n, h_prev = self.saved
        xp = xp_of(act)
        if is_retaining_graph():  # act must survive for the next backward
            act = act.copy()
        dhn = h_n.copy()          # h_n is a view of the input gates_h: never written
        if dh is None:
            dh = xp.zeros_like(h_prev)
        dh_prev = cell_backward(act, dhn, h_prev, dh, d_reset)
        dgates_h = xp.concatenate([act[..., :2 * h_n.shape[-1]], dhn], axis=-1) if self.needs_grad[1] else None
        return act, dgates_h, (dh_prev if self.needs_grad[2] else None)


class FusedGRUStep(Function):
    """(gates_x, h_{t-1}, weight_hh) -> h_t, with gates_h = h_{t-1} W_hh^T + b_hh made here by `recurrent`
    (a RecurrentWeight) for step t; weight_hh's and b_hh's gradients come from the sequence."""

    def __init__(self, recurrent, t):
        self.recurrent, self.t = recurrent, t

    def forward(self, gates_x, h_prev, weight_hh):
        recurrent = self.recurrent
        gates_h = recurrent.hidden_product(h_prev, self.t)
        _check_shapes(gates_x, gates_h, h_prev)
        hidden = h_prev.shape[-1]
        # gates_x is this step's rows of the layer's own input projection, which nothing else reads
        # (its backward keeps x and W_ih): r, z and n are built there; h_n outlives the scratch gates_h
        rz, n = gates_x[..., :2 * hidden], gates_x[..., 2 * hidden:]
        rz += gates_h[..., :2 * hidden]
        h_n = recurrent.hn_rows(self.t)
        h_n[...] = gates_h[..., 2 * hidden:]
        # h_t goes into its row of the layer's output (no stacking copy); gates_h's r columns are free scratch
        h = cell_forward(rz, n, h_n, h_prev, recurrent.output_row(self.t), gates_h[..., :hidden])
        self.save(gates_x, h_n, h_prev, weight_hh)  # weight_hh only for the version check
        return h

    def backward(self, dh):
        act, h_n, h_prev, _ = self.saved
        recurrent, t = self.recurrent, self.t
        if is_retaining_graph():  # the activations must survive: their gradients go into fresh buffers
            dx, dhn = recurrent.grad_rows(t), recurrent.hn_grad_rows(t)
            dx[...] = act
            dhn[...] = h_n
        else:  # the step's own rows of the projection and of h_n become their gradients in place
            dx, dhn = recurrent.grad_rows_in_place(t), recurrent.hn_grad_rows_in_place(t)
        dh_prev = cell_backward(dx, dhn, h_prev, dh)
        if not self.needs_grad[1]:
            return dx, None, None
        dh_prev += recurrent.hidden_gradient(recurrent.gates_h_grad(dx, dhn))
        return dx, dh_prev, None

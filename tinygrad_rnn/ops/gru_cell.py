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
    d gates_x = [dr', dz, dn],  d gates_h = [dr', dz, dn * r],  dh_{t-1} = dh * z

Two ops share the maths:

    FusedGRUCell   (gates_x, gates_h, h_{t-1}) -> (h_t, r), the cell alone
    FusedGRUStep   (gates_x, h_{t-1}, W_hh, b_hh) -> h_t on the layer's fast path:
                   also gates_h = h_{t-1} W_hh^T + b_hh, with r, z and n built in
                   place in gates_x, the step's rows of the layer's own projection;
                   it records r_t itself, writes d gates_x into the rows of one
                   buffer for all steps (RecurrentWeight) and returns
                   dh_{t-1} = dh z + d gates_h W_hh and this step's share of db_hh
"""

from ..autograd import Function
from ..backend import xp_of
from .lstm_cell import sigmoid_


def cell_forward(rz, n, h_n, h_prev, h_out=None):
    """rz: the r, z pre-activations (B, 2H) and n: x_n (B, H), both turned into the gates in place;
    h_n = h W_hn^T + b_hn -> h_t, written into h_out when given (a row of the layer's output)."""
    hidden = h_n.shape[-1]
    sigmoid_(rz)
    r, z = rz[..., :hidden], rz[..., hidden:]
    n += r * h_n
    xp_of(n).tanh(n, out=n)
    h = xp_of(n).subtract(h_prev, n, out=h_out)  # h_t = n + z (h_{t-1} - n) = (1 - z) n + z h_{t-1}
    h *= z
    h += n
    return h


def cell_backward(rz, n, h_n, h_prev, dh, d_reset, dx):
    """Fill dx (B, 3H) with d gates_x = [dr', dz, dn]."""
    hidden = n.shape[-1]
    xp = xp_of(rz)
    r, z = rz[..., :hidden], rz[..., hidden:]
    dr, dz, dn = dx[..., :hidden], dx[..., hidden:2 * hidden], dx[..., 2 * hidden:]
    xp.subtract(1, z, out=dn)
    dn *= dh
    xp.subtract(h_prev, n, out=dz)
    dz *= dh
    dz *= z
    # (1 - z) is in dn already: dz *= 1 - z, without a temporary
    xp.multiply(n, n, out=dr)
    xp.subtract(1, dr, out=dr)
    dn *= dr
    dz -= dz * z
    xp.multiply(dn, h_n, out=dr)
    if d_reset is not None:
        dr += d_reset
    dr *= r
    dr -= dr * r
    return dx


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
        rz = gates_x[..., :2 * hidden] + gates_h[..., :2 * hidden]
        n = gates_x[..., 2 * hidden:].copy()
        h_n = gates_h[..., 2 * hidden:]
        h = cell_forward(rz, n, h_n, h_prev)
        self.save(rz, n, h_n, h_prev)
        return h, rz[..., :hidden]

    def backward(self, dh, d_reset):
        rz, n, h_n, h_prev = self.saved
        hidden = n.shape[-1]
        xp = xp_of(rz)
        if dh is None:
            dh = xp.zeros_like(n)
        dx = cell_backward(rz, n, h_n, h_prev, dh, d_reset, xp.empty(n.shape[:-1] + (3 * hidden,), dtype=dh.dtype))
        dgates_h = None
        if self.needs_grad[1]:
            dgates_h = dx.copy()
            dgates_h[..., 2 * hidden:] *= rz[..., :hidden]
        dh_prev = dh * rz[..., hidden:] if self.needs_grad[2] else None
        return dx, dgates_h, dh_prev


class FusedGRUStep(Function):
    """(gates_x, h_{t-1}, weight_hh, bias_hh or nothing) -> h_t, with gates_h = h_{t-1} W_hh^T + b_hh made
    here by `recurrent` (a RecurrentWeight) for step t; weight_hh's gradient comes from the sequence."""

    def __init__(self, recurrent, t):
        self.recurrent, self.t = recurrent, t

    def forward(self, gates_x, h_prev, weight_hh, *bias_hh):
        recurrent = self.recurrent
        gates_h = recurrent.hidden_product(h_prev, self.t)
        _check_shapes(gates_x, gates_h, h_prev)
        if bias_hh:
            gates_h += bias_hh[0]
        hidden = h_prev.shape[-1]
        # gates_x is this step's rows of the layer's own input projection, which nothing else reads
        # (its backward keeps x and W_ih): r, z and n are built there; h_n outlives the scratch gates_h
        rz, n = gates_x[..., :2 * hidden], gates_x[..., 2 * hidden:]
        rz += gates_h[..., :2 * hidden]
        h_n = gates_h[..., 2 * hidden:].copy()
        h = cell_forward(rz, n, h_n, h_prev, recurrent.output_row(self.t))  # no stacking copy later
        recurrent.reset[self.t] = rz[..., :hidden]  # W_hh's gradient scales the n columns by r_t
        self.save(rz, n, h_n, h_prev, weight_hh)  # weight_hh only for the version check
        return h

    def backward(self, dh):
        rz, n, h_n, h_prev, _ = self.saved
        recurrent = self.recurrent
        hidden = n.shape[-1]
        dx = cell_backward(rz, n, h_n, h_prev, dh, None, recurrent.grad_rows(self.t))
        dgates_h = recurrent.gates_h_grad(dx)
        dgates_h[..., 2 * hidden:] *= rz[..., :hidden]
        dh_prev = None
        if self.needs_grad[1]:
            dh_prev = recurrent.hidden_gradient(dgates_h)
            dh_prev += dh * rz[..., hidden:]
        dbias = (dgates_h.sum(axis=0),) if len(self.needs_grad) > 3 and self.needs_grad[3] else \
            (None,) * (len(self.needs_grad) - 3)
        return (dx, dh_prev, None) + dbias

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
"""

from ..autograd import Function
from ..backend import xp_of
from .lstm_cell import sigmoid_


class FusedGRUCell(Function):
    """(gates_x, gates_h, h_{t-1}) -> (h_t, r); the equations are in the module docstring."""

    def forward(self, gates_x, gates_h, h_prev):
        hidden = h_prev.shape[-1]
        if gates_x.shape != gates_h.shape or gates_x.shape[-1] != 3 * hidden or gates_x.shape[:-1] != h_prev.shape[:-1]:
            raise ValueError(f"GRU cell: expected gates_x and gates_h of shape (batch, 3H) and h_prev (batch, H), "
                             f"got {gates_x.shape}, {gates_h.shape} and {h_prev.shape}")
        xp = xp_of(h_prev)
        rz = gates_x[..., :2 * hidden] + gates_h[..., :2 * hidden]
        sigmoid_(rz)
        r, z = rz[..., :hidden], rz[..., hidden:]
        h_n = gates_h[..., 2 * hidden:]
        n = r * h_n
        n += gates_x[..., 2 * hidden:]
        xp.tanh(n, out=n)
        h = h_prev - n  # h_t = n + z (h_{t-1} - n), the same as (1 - z) n + z h_{t-1}
        h *= z
        h += n
        self.save(rz, n, h_n, h_prev)
        return h, r

    def backward(self, dh, d_reset):
        rz, n, h_n, h_prev = self.saved
        hidden = n.shape[-1]
        xp = xp_of(rz)
        r, z = rz[..., :hidden], rz[..., hidden:]
        if dh is None:
            dh = xp.zeros_like(n)
        dx = xp.empty(n.shape[:-1] + (3 * hidden,), dtype=dh.dtype)
        dr, dz, dn = dx[..., :hidden], dx[..., hidden:2 * hidden], dx[..., 2 * hidden:]
        xp.multiply(dh, 1 - z, out=dn)
        dn *= 1 - n * n
        xp.subtract(h_prev, n, out=dz)
        dz *= dh
        dz *= z
        dz *= 1 - z
        xp.multiply(dn, h_n, out=dr)
        if d_reset is not None:
            dr += d_reset
        dr *= r
        dr *= 1 - r
        dgates_h = None
        if self.needs_grad[1]:
            dgates_h = dx.copy()
            dgates_h[..., 2 * hidden:] *= r
        dh_prev = dh * z if self.needs_grad[2] else None
        return dx, dgates_h, dh_prev

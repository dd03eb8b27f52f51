"""The LSTM cell's pointwise maths as one op, with its backward written by hand.

The fast path of nn.LSTM and nn.LSTMCell gets the gate pre-activations from
matmuls and hands them here, so one step is two matmuls and this one node:

    gates_x = x_t W_ih^T + b_ih + b_hh     (batch, 4H)  all steps at once, before the loop
    gates_h = h_{t-1} W_hh^T               (batch, 4H)
    a = gates_x + gates_h, cut in H columns in PyTorch's order i, f, g, o
    i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g              (batch, H)
    h_t = o * tanh(c_t)                    (batch, H)

Backward, given dh = dL/dh_t and dc = dL/dc_t from the later steps:

    dc' = dc + dh * o * (1 - tanh(c_t)^2)          the total gradient reaching c_t
    do = dh * tanh(c_t);  di = dc' * g;  dg = dc' * i;  df = dc' * c_{t-1}
    da = [di i(1-i), df f(1-f), dg (1-g^2), do o(1-o)]     (batch, 4H), for gates_x and gates_h alike
    dc_{t-1} = dc' * f
"""

from ..autograd import Function
from ..backend import xp_of


def sigmoid_(v):
    """v <- sigmoid(v) in place, as 0.5 tanh(v / 2) + 0.5: one transcendental, no overflow."""
    v *= 0.5
    xp_of(v).tanh(v, out=v)
    v *= 0.5
    v += 0.5
    return v


class FusedLSTMCell(Function):
    """(gates_x, gates_h, c_{t-1}) -> (h_t, c_t); the equations are in the module docstring."""

    def forward(self, gates_x, gates_h, c_prev):
        hidden = c_prev.shape[-1]
        if gates_x.shape != gates_h.shape or gates_x.shape[-1] != 4 * hidden or gates_x.shape[:-1] != c_prev.shape[:-1]:
            raise ValueError(f"LSTM cell: expected gates_x and gates_h of shape (batch, 4H) and c_prev (batch, H), "
                             f"got {gates_x.shape}, {gates_h.shape} and {c_prev.shape}")
        xp = xp_of(c_prev)
        act = gates_x + gates_h  # a fresh array: the activations are written into it in place
        sigmoid_(act[..., :2 * hidden])
        xp.tanh(act[..., 2 * hidden:3 * hidden], out=act[..., 2 * hidden:3 * hidden])
        sigmoid_(act[..., 3 * hidden:])
        i, f, g, o = (act[..., k * hidden:(k + 1) * hidden] for k in range(4))
        c = f * c_prev
        c += i * g
        tanh_c = xp.tanh(c)
        h = o * tanh_c
        self.save(act, c_prev, tanh_c)
        return h, c

    def backward(self, dh, dc):
        act, c_prev, tanh_c = self.saved
        hidden = c_prev.shape[-1]
        xp = xp_of(act)
        i, f, g, o = (act[..., k * hidden:(k + 1) * hidden] for k in range(4))
        da = xp.empty_like(act)
        da_i, da_f, da_g, da_o = (da[..., k * hidden:(k + 1) * hidden] for k in range(4))
        if dh is None:
            dh = xp.zeros_like(tanh_c)
        # dc' = dc + dh * o * (1 - tanh_c^2), built in place in a fresh array
        dc_total = 1 - tanh_c * tanh_c
        dc_total *= o
        dc_total *= dh
        if dc is not None:
            dc_total += dc
        xp.multiply(dh, tanh_c, out=da_o)
        da_o *= o
        da_o *= 1 - o
        xp.multiply(dc_total, g, out=da_i)
        da_i *= i
        da_i *= 1 - i
        xp.multiply(dc_total, c_prev, out=da_f)
        da_f *= f
        da_f *= 1 - f
        xp.multiply(dc_total, i, out=da_g)
        da_g *= 1 - g * g
        dc_prev = dc_total * f if self.needs_grad[2] else None
        return da, da, dc_prev

"""The LSTM cell's pointwise maths as one op, with its backward written by hand.

The fast path of nn.LSTM and nn.LSTMCell gets the input's share of the gate
pre-activations from one matmul per gate over all steps; FusedLSTMStep adds the
recurrent product and runs the cell, so one step is one node:

    gates_x = x_t W_ih^T + b_ih + b_hh     (4, batch, H)  all steps at once, before the loop
    gates_h = h_{t-1} W_hh^T               (4, batch, H)
    a = gates_x + gates_h, gates in PyTorch's order i, f, g, o
    i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g              (batch, H)
    h_t = o * tanh(c_t)                    (batch, H)

Backward, given dh = dL/dh_t and dc = dL/dc_t from the later steps:

    dc' = dc + dh * o * (1 - tanh(c_t)^2)          the total gradient reaching c_t
    do = dh * tanh(c_t);  di = dc' * g;  dg = dc' * i;  df = dc' * c_{t-1}
    da = [di i(1-i), df f(1-f), dg (1-g^2), do o(1-o)]     (4, batch, H), for gates_x and gates_h alike
    dc_{t-1} = dc' * f

The maths works on gate-major activations act (4, batch, H): act[0..3] are i, f, g, o,
each a (batch, H) array (on the fast path each one contiguous block, see
ops/input_projection.py). Two ops share it:

    FusedLSTMCell   (gates_x, gates_h, c_{t-1}) -> (h_t, c_t), the cell alone, on
                    (batch, 4H) inputs in PyTorch's column order
    FusedLSTMStep   (gates_x, h_{t-1}, c_{t-1}, W_hh) -> (h_t, c_t) on the layer's fast
                    path, gates_x being the step's (4, batch, H) piece of the layer's
                    projection: also gates_h = h_{t-1} W_hh^T, and the activations built
                    in place in gates_x; backward turns those activations into da in
                    place (into a copy under retain_graph=True), so the projection's
                    array holds every step's gate gradient (RecurrentWeight), and
                    returns dh_{t-1} = da W_hh. W_hh's own gradient is one matmul per
                    gate over the sequence (ops/recurrent_weight.py).
"""

from ..autograd import Function
from ..backend import xp_of
from .gate_layout import check_gates, gate_major


def sigmoid_(v):
    """v <- sigmoid(v) in place, as 0.5 tanh(v / 2) + 0.5: one transcendental, no overflow."""
    v *= 0.5
    xp_of(v).tanh(v, out=v)
    v *= 0.5
    v += 0.5
    return v


def cell_forward(act, c_prev, h_out=None):
    """act: the pre-activations (4, batch, H), turned into i, f, g, o in place -> (h_t, c_t, tanh(c_t));
    h_t is written into h_out when given (a row of the layer's output)."""
    xp = xp_of(act)
    sigmoid_(act[0:2])
    i, f, g, o = act
    xp.tanh(g, out=g)
    sigmoid_(o)
    c = f * c_prev
    c += i * g
    tanh_c = xp.tanh(c)
    return xp.multiply(o, tanh_c, out=h_out), c, tanh_c


def cell_backward(act, c_prev, tanh_c, dh, dc, needs_dc_prev):
    """Turn act (4, batch, H), holding i, f, g, o, into da = dL/d(pre-activations) in place;
    return dc_{t-1} (or None). Each gate's slot is read for the last time as its gradient
    is written, so the only fresh arrays are dc', one scratch and dc_{t-1}."""
    xp = xp_of(act)
    i, f, g, o = act
    if dh is None:
        dh = xp.zeros_like(tanh_c)
    # dc' = dc + dh * o * (1 - tanh_c^2)
    dc_total = xp.multiply(tanh_c, tanh_c)
    xp.subtract(1, dc_total, out=dc_total)
    dc_total *= o
    dc_total *= dh
    if dc is not None:
        dc_total += dc
    dc_prev = xp.multiply(dc_total, f) if needs_dc_prev else None
    scratch = xp.subtract(1, o)
    o *= scratch                   # da_o = dh * tanh_c * o(1 - o)
    o *= tanh_c
    o *= dh
    xp.subtract(1, f, out=scratch)
    f *= scratch                   # da_f = dc' * c_{t-1} * f(1 - f)
    f *= c_prev
    f *= dc_total
    xp.multiply(g, dc_total, out=scratch)   # dc' * g, for da_i below, before g is overwritten
    g *= g                         # da_g = dc' * i * (1 - g^2)
    xp.subtract(1, g, out=g)
    g *= i
    g *= dc_total
    scratch *= i                   # da_i = dc' * g * i(1 - i)
    xp.subtract(1, i, out=i)
    i *= scratch
    return dc_prev


class FusedLSTMCell(Function):
    """(gates_x, gates_h, c_{t-1}) -> (h_t, c_t), on (batch, 4H) gates; the equations are in the module docstring."""

    def forward(self, gates_x, gates_h, c_prev):
        check_gates("LSTM", "cell", gates_x, gates_h, "c_prev", c_prev, c_prev.shape[:-1] + (4 * c_prev.shape[-1],))
        rows = gates_x + gates_h  # a fresh array: the activations are written into it in place
        h, c, tanh_c = cell_forward(gate_major(rows, 4), c_prev)
        self.save(rows, c_prev, tanh_c)
        return h, c

    def backward(self, dh, dc):
        rows, c_prev, tanh_c = self.saved
        # the activations become their own gradient, unless a later backward still needs them
        da = rows.copy() if self.retain_graph else rows
        dc_prev = cell_backward(gate_major(da, 4), c_prev, tanh_c, dh, dc, self.needs_grad[2])
        return da, da, dc_prev


class FusedLSTMStep(Function):
    """(gates_x (4, B, H), h_{t-1}, c_{t-1}, weight_hh) -> (h_t, c_t), with gates_h = h_{t-1} W_hh^T made
    here by `recurrent` (a RecurrentWeight) for step t; weight_hh's gradient comes from the sequence."""

    def __init__(self, recurrent, t):
        self.recurrent, self.t = recurrent, t

    def forward(self, gates_x, h_prev, c_prev, weight_hh):
        gates_h = self.recurrent.hidden_product(h_prev, self.t)
        check_gates("LSTM", "step", gates_x, gates_h, "c_prev", c_prev, (4,) + c_prev.shape)
        # gates_x is this step's piece of the layer's own input projection, which nothing else reads
        # (its backward keeps x and W_ih): the activations are built there, no new (4, B, H) array
        act = gates_x
        act += gates_h
        # h_t goes straight into its row of the layer's output, which then needs no stacking copy
        h, c, tanh_c = cell_forward(act, c_prev, self.recurrent.output_row(self.t))
        self.save(act, c_prev, tanh_c, weight_hh)  # weight_hh only for the version check
        return h, c

    def backward(self, dh, dc):
        act, c_prev, tanh_c, _ = self.saved
        recurrent = self.recurrent
        if self.retain_graph:
            da = recurrent.grad_rows(self.t)
            da[...] = act
        else:  # act's own piece of the projection: the activations become their gradient in place
            da = recurrent.grad_rows_in_place(self.t)
        dc_prev = cell_backward(da, c_prev, tanh_c, dh, dc, self.needs_grad[2])
        dh_prev = recurrent.hidden_gradient(da) if self.needs_grad[1] else None
        return da, dh_prev, dc_prev, None

"""The peephole LSTM layer (Gers & Schmidhuber, 2000) as one op: backpropagation through time by hand.

The composite path (nn/peephole_lstm.py, impl="composite") builds every step from
matmul, add, mul, split, sigmoid and tanh: BPTT by autograd. This op writes both
loops out, so the graph holds a single node.

Forward, t = 0..T-1: the LSTM's equations (bptt/lstm.py) with the input and forget
gates also looking at c_{t-1} and the output gate at c_t, through diagonal weights:

    a_t = x_t W_ih^T + b_ih + b_hh + h_{t-1} W_hh^T             (4, B, H), gates i, f, g, o
    i = sigmoid(a_i + w_ci * c_{t-1}),  f = sigmoid(a_f + w_cf * c_{t-1}),  g = tanh(a_g)
    c_t = f * c_{t-1} + i * g
    o = sigmoid(a_o + w_co * c_t)
    h_t = o * tanh(c_t)

    x: (T, B, I), h_0, c_0: (B, H), W_ih: (4H, I), W_hh: (4H, H), w_ci, w_cf, w_co: (H,), b: (4H,)

Backward, t = T-1..0, with dh = dL/dh_t and dc = dL/dc_t from step t+1:

    da_o = dh * tanh(c_t) * o (1 - o)
    dc_t = dc + dh * o * (1 - tanh(c_t)^2) + da_o * w_co        c_t also feeds the output gate
    da_f = dc_t * c_{t-1} * f (1 - f)
    da_i = dc_t * g * i (1 - i)
    da_g = dc_t * i * (1 - g^2)                                  da_t = [da_i, da_f, da_g, da_o]
    dc_{t-1} = dc_t * f + da_i * w_ci + da_f * w_cf
    dh_{t-1} = da_t W_hh

and after the loop, over all T*B rows (C_prev: every c_{t-1}, C: every c_t):

    dW_hh[k] = da[k]^T H_prev,  dW_ih[k] = da[k]^T X,  db = column sums of da,  dx = sum_k da[k] W_ih[k]
    dw_ci = column sums of da_i * C_prev,  dw_cf = of da_f * C_prev,  dw_co = of da_o * C

It keeps what the LSTM op keeps (the gates of every step, c_t and h_t) and, like it,
computes tanh(c_t) again in backward.
"""

from ..autograd import is_anomaly_enabled
from ..backend import xp_of
from ..kernels import PEEPHOLE_LSTM_BACKWARD, PEEPHOLE_LSTM_FORWARD, cuda_kernel
from ..ops.unary import sigmoid_
from .gates import Gates
from .op import BPTTOp


@cuda_kernel(PEEPHOLE_LSTM_FORWARD)
def cell_forward(a, c_prev, c, tanh_c, h, peepholes, scratch):
    """a: the step's pre-activations (4, B, H), PyTorch's order, turned into i, f, g, o in place;
    peepholes: (w_cif (2, 1, H), w_co (H,)); c, tanh_c and h are written into the given arrays.
    scratch: a free (2, B, H) array."""
    xp = xp_of(a)
    w_cif, w_co = peepholes
    xp.multiply(w_cif, c_prev, out=scratch)     # w_ci c_{t-1}, w_cf c_{t-1}
    a[0:2] += scratch
    sigmoid_(a[0:2])
    i, f, g, o = a
    xp.tanh(g, out=g)
    xp.multiply(f, c_prev, out=c)
    xp.multiply(i, g, out=scratch[0])
    c += scratch[0]
    xp.multiply(w_co, c, out=scratch[0])        # the output gate sees the new cell
    o += scratch[0]
    sigmoid_(o)
    xp.tanh(c, out=tanh_c)
    xp.multiply(o, tanh_c, out=h)


@cuda_kernel(PEEPHOLE_LSTM_BACKWARD)
def cell_backward(a, c_prev, tanh_c, peepholes, dh, dc, dc_t, s):
    """a: the step's gates i, f, g, o, turned into da_t in place (equations above); dh is read;
    dc holds dL/dc_t from step t+1 and becomes dc_{t-1}; dc_t receives the whole dL/dc_t."""
    xp = xp_of(a)
    w_ci, w_cf, w_co = peepholes
    i, f, g, o = a
    xp.multiply(tanh_c, tanh_c, out=dc_t)       # dc_t = dc + dh o (1 - tanh(c_t)^2) ...
    xp.subtract(1, dc_t, out=dc_t)
    dc_t *= o
    dc_t *= dh
    dc_t += dc
    xp.subtract(1, o, out=s)                    # da_o = dh tanh(c_t) o (1 - o)
    o *= s
    o *= tanh_c
    o *= dh
    xp.multiply(o, w_co, out=s)                 # ... + da_o w_co
    dc_t += s
    xp.multiply(dc_t, f, out=dc)                # dc_{t-1} = dc_t f + ...
    xp.subtract(1, f, out=s)                    # da_f = dc_t c_{t-1} f (1 - f)
    f *= s
    f *= c_prev
    f *= dc_t
    xp.multiply(g, dc_t, out=s)                 # dc_t g, kept for da_i before g turns into da_g
    g *= g                                      # da_g = dc_t i (1 - g^2)
    xp.subtract(1, g, out=g)
    g *= i
    g *= dc_t
    s *= i                                      # da_i = dc_t g i (1 - i)
    xp.subtract(1, i, out=i)
    i *= s
    xp.multiply(i, w_ci, out=s)                 # ... + da_i w_ci + da_f w_cf
    dc += s
    xp.multiply(f, w_cf, out=s)
    dc += s


class PeepholeLSTMBPTT(BPTTOp):
    """(x (T, B, I), h_0, c_0 (B, H), weight_ih (4H, I), weight_hh (4H, H), weight_ci, weight_cf, weight_co (H,)
    [, bias_ih, bias_hh (4H,)]) -> (output (T, B, H), h_n, c_n (B, H)); equations in the module docstring."""

    family, gates = "PeepholeLSTM", 4

    def forward(self, x, h0, c0, weight_ih, weight_hh, weight_ci, weight_cf, weight_co, *biases):
        self.check_shapes(x, h0, weight_ih, weight_hh)
        xp = xp_of(x)
        steps, batch, hidden = x.shape[0], x.shape[1], weight_hh.shape[1]
        active, r = self.active_steps(steps), self.reverse
        self.steps = steps
        inputs = x[:active].reshape(active * batch, x.shape[2])                      # X (T*B, I)
        bias = (biases[0] + biases[1]).reshape(4, hidden) if biases else None
        gates = Gates.project(inputs, self.per_gate(weight_ih, 4), bias, batch)
        w_hh_t = xp.ascontiguousarray(self.per_gate(weight_hh, 4).transpose(0, 2, 1))   # W_k^T (4, H, H)
        peepholes = (xp.stack([weight_ci, weight_cf]).reshape(2, 1, hidden), weight_co)
        hs = xp.empty((active + 1, batch, hidden), dtype=x.dtype)
        cs = xp.empty_like(hs)
        tanh_c = xp.empty_like(hs[0])
        hs[r * active], cs[r * active] = h0, c0
        rec = xp.empty((4, batch, hidden), dtype=x.dtype)
        reals, anomaly = self.reals(active), is_anomaly_enabled()
        for t in self.order(active):
            before, after = t + r, t + 1 - r
            a = gates.step(t)
            xp.matmul(hs[before], w_hh_t, out=rec)                    # h_{t-1} W_k^T, one GEMM per gate
            a += rec
            cell_forward(a, cs[before], cs[after], tanh_c, hs[after], peepholes, rec[0:2])
            if reals[t] is not None:                                   # padded sequences keep their state
                xp.copyto(hs[after], hs[before], where=~reals[t])
                xp.copyto(cs[after], cs[before], where=~reals[t])
            if anomaly:
                self.check_step("forward", ("output h_t", "state c_t"), t, hs[after], cs[after])
        # backward reads the state of every step; the output is a slice of hs, saved with it
        self.save(inputs, weight_ih, weight_hh, weight_ci, weight_cf, weight_co, gates.array, hs, cs)
        last = 0 if r else active
        return self.output(hs, steps, active), hs[last].copy(), cs[last].copy()

    def backward(self, dout, dh_n, dc_n):
        inputs, weight_ih, weight_hh, weight_ci, weight_cf, weight_co, gates, hs, cs = self.saved
        xp = xp_of(hs)
        active, r = hs.shape[0] - 1, self.reverse
        batch, hidden = hs.shape[1], hs.shape[2]
        # the activations become their gradients in place, unless another backward will read them
        gates = Gates(gates.copy() if self.retain_graph else gates, batch, 4)
        dh = xp.zeros_like(hs[0]) if dh_n is None else dh_n.copy()
        dc = xp.zeros_like(hs[0]) if dc_n is None else dc_n.copy()
        dc_t, s, tanh_c = xp.empty_like(dh), xp.empty_like(dh), xp.empty_like(dh)
        d_rec = xp.empty((batch, 4 * hidden), dtype=hs.dtype)
        peepholes = (weight_ci, weight_cf, weight_co)
        reals, anomaly, recording = self.reals(active), is_anomaly_enabled(), self.recording()
        if recording:
            self.start_recording(self.steps)
        for t in reversed(self.order(active)):
            before = t + r
            a, real = gates.step(t), reals[t]
            if real is not None:
                kept_h, kept_c = self.keep_padded(real, (dh, dc))
            if dout is not None:
                dh += dout[t]
            if real is not None:
                dh *= real
                dc *= real
            xp.tanh(cs[t + 1 - r], out=tanh_c)                        # recomputed: cheaper than keeping T of them
            cell_backward(a, cs[before], tanh_c, peepholes, dh, dc, dc_t, s)
            if recording:
                self.record(t, dh, dc_t)
            xp.matmul(gates.row(t, a, d_rec), weight_hh, out=dh)      # dh_{t-1} = [da_i, da_f, da_g, da_o] W_hh
            if real is not None:
                dh += kept_h
                dc += kept_c
            if anomaly:
                self.check_step("backward", ("gradient dL/dh_{t-1}", "gradient dL/dc_{t-1}"), t, dh, dc)
        needs = self.needs_grad
        n_rows = active * batch
        h_prev = hs[r:active + r].reshape(n_rows, hidden)
        c_prev, c_new = cs[r:active + r].reshape(n_rows, hidden), cs[1 - r:active + 1 - r].reshape(n_rows, hidden)
        da = gates.per_gate                                           # (4, T*B, H)
        dx, dw_ih = gates.input_backward(inputs, self.per_gate(weight_ih, 4), needs[0], needs[3])
        dw_hh = xp.matmul(da.transpose(0, 2, 1), h_prev).reshape(4 * hidden, hidden) if needs[4] else None
        peephole_grads = [(da[k] * c).sum(axis=0) if need else None
                          for k, c, need in ((0, c_prev, needs[5]), (1, c_prev, needs[6]), (3, c_new, needs[7]))]
        grads = [self.input_gradient(dx, batch), dh if needs[1] else None, dc if needs[2] else None,
                 None if dw_ih is None else dw_ih.reshape(weight_ih.shape), dw_hh] + peephole_grads
        if len(needs) > 8:
            db = da.sum(axis=1).reshape(-1)
            grads += [db, db.copy()]
        return tuple(grads)

"""The LSTM layer, one direction, as one op: backpropagation through time by hand.

The composite path (nn/lstm.py, impl="composite") builds every step from matmul,
add, split, sigmoid, tanh and mul, and autograd walks the unrolled graph back:
BPTT by autograd. This op does the same arithmetic in one forward loop and one
backward loop that are written out, so the graph holds a single node.

Forward, t = 0..T-1 (T-1..0 for the reverse direction), PyTorch's equations:

    a_t = x_t W_ih^T + b_ih + b_hh + h_{t-1} W_hh^T          (4, B, H): the gates' pre-activations
    i = sigmoid(a_i),  f = sigmoid(a_f),  o = sigmoid(a_o),  g = tanh(a_g)
    c_t = f * c_{t-1} + i * g                                  (B, H)
    h_t = o * tanh(c_t)                                        (B, H)

    x: (T, B, I), h_0, c_0: (B, H), W_ih: (4H, I), W_hh: (4H, H), b_ih, b_hh: (4H,)
    output: every h_t (T, B, H); h_n, c_n: the last state (B, H)

x_t W_ih^T for all steps is one GEMM per gate before the loop (bptt/gates.py
says how the gates are laid out); inside it each step makes one batched product
h_{t-1} W_k^T for the four gates, and the activations are built in place in the
step's block of that projection, which the op keeps: the gates of every step
(4, T*B, H), with c_t and h_t (T + 1, B, H each). tanh(c_t) is computed again in
backward, one tanh per step, rather than kept: a (T, B, H) array less. Internally
the gates are stored in the order i, f, o, g (PyTorch's rows are i, f, g, o) so
that the three sigmoids are one contiguous block, one call.

Backward, t = T-1..0, with dh = dL/dh_t (from the output at t and from step t+1)
and dc = dL/dc_t from step t+1:

    dc_t = dc + dh * o * (1 - tanh(c_t)^2)        the whole gradient reaching c_t
    da_o = dh * tanh(c_t) * o (1 - o)
    da_f = dc_t * c_{t-1} * f (1 - f)
    da_i = dc_t * g * i (1 - i)
    da_g = dc_t * i * (1 - g^2)                   da_t = [da_i, da_f, da_o, da_g]   (4, B, H)
    dc_{t-1} = dc_t * f
    dh_{t-1} = da_t W_hh                           one (B, 4H) x (4H, H) GEMM

and after the loop, with da of every step (4, T*B, H) and h_{t-1} of every step (T*B, H):

    dW_hh[k] = da[k]^T H_prev,   dW_ih[k] = da[k]^T X,   db_ih = db_hh = column sums of da,
    dx = sum_k da[k] W_ih[k]                       one GEMM per gate each

Each step's activations become its gradient da_t in place (unless the graph is
retained: then a copy does), so backward allocates nothing of size T: what the
op holds at its peak is what the NumPy floor holds (tools/numpy_floor.py).
"""

from ..autograd import is_anomaly_enabled
from ..backend import xp_of
from ..kernels import LSTM_BACKWARD, LSTM_FORWARD, cuda_kernel
from ..ops.unary import sigmoid_
from .gates import Gates
from .op import BPTTOp

ORDER = (0, 1, 3, 2)  # PyTorch's gate k at internal block ORDER[k] and back: i, f, g, o <-> i, f, o, g


@cuda_kernel(LSTM_FORWARD)
def cell_forward(a, c_prev, c, tanh_c, h, scratch):
    """a: a step's pre-activations (4, B, H), internal order, turned into i, f, o, g in place;
    then c = f c_prev + i g, tanh_c = tanh(c), h = o tanh_c, written into the given (B, H) arrays."""
    xp = xp_of(a)
    sigmoid_(a[0:3])
    i, f, o, g = a
    xp.tanh(g, out=g)
    xp.multiply(f, c_prev, out=c)
    xp.multiply(i, g, out=scratch)
    c += scratch
    xp.tanh(c, out=tanh_c)
    xp.multiply(o, tanh_c, out=h)


@cuda_kernel(LSTM_BACKWARD)
def cell_backward(a, c_prev, tanh_c, dh, dc, dc_t, s):
    """a: the step's gates i, f, o, g (4, B, H), turned into da_t in place (equations above);
    dh = dL/dh_t is read; dc holds dL/dc_t from step t+1 and becomes dc_{t-1}; dc_t receives
    the whole dL/dc_t. s: a free (B, H) array. Each gate is read for the last time as its
    gradient is written over it."""
    xp = xp_of(a)
    i, f, o, g = a
    xp.multiply(tanh_c, tanh_c, out=dc_t)       # dc_t = dc + dh o (1 - tanh(c_t)^2)
    xp.subtract(1, dc_t, out=dc_t)
    dc_t *= o
    dc_t *= dh
    dc_t += dc
    xp.multiply(dc_t, f, out=dc)                 # dc_{t-1} = dc_t f
    xp.subtract(1, o, out=s)                     # da_o = dh tanh(c_t) o (1 - o)
    o *= s
    o *= tanh_c
    o *= dh
    xp.subtract(1, f, out=s)                     # da_f = dc_t c_{t-1} f (1 - f)
    f *= s
    f *= c_prev
    f *= dc_t
    xp.multiply(g, dc_t, out=s)                  # dc_t g, kept for da_i before g turns into da_g
    g *= g                                       # da_g = dc_t i (1 - g^2)
    xp.subtract(1, g, out=g)
    g *= i
    g *= dc_t
    s *= i                                       # da_i = dc_t g i (1 - i)
    xp.subtract(1, i, out=i)
    i *= s


class LSTMBPTT(BPTTOp):
    """(x (T, B, I), h_0, c_0 (B, H), weight_ih (4H, I), weight_hh (4H, H)[, bias_ih, bias_hh (4H,)])
    -> (output (T, B, H), h_n, c_n (B, H)): one LSTM layer direction; equations in the module docstring."""

    family, gates = "LSTM", 4

    def forward(self, x, h0, c0, weight_ih, weight_hh, *biases):
        self.check_shapes(x, h0, weight_ih, weight_hh)
        xp = xp_of(x)
        steps, batch, hidden = x.shape[0], x.shape[1], weight_hh.shape[1]
        active, r = self.active_steps(steps), self.reverse
        self.steps = steps
        inputs = x[:active].reshape(active * batch, x.shape[2])                      # X (T*B, I)
        bias = (biases[0] + biases[1]).reshape(4, hidden)[list(ORDER)] if biases else None
        gates = Gates.project(inputs, self.per_gate(weight_ih, 4, ORDER), bias, batch)
        w_hh_t = xp.ascontiguousarray(self.per_gate(weight_hh, 4, ORDER).transpose(0, 2, 1))   # W_k^T (4, H, H)
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
            cell_forward(a, cs[before], cs[after], tanh_c, hs[after], rec[0])
            if reals[t] is not None:                                   # padded sequences keep their state
                xp.copyto(hs[after], hs[before], where=~reals[t])
                xp.copyto(cs[after], cs[before], where=~reals[t])
            if anomaly:
                self.check_step("forward", ("output h_t", "state c_t"), t, hs[after], cs[after])
        # backward reads the state of every step; the output is a slice of hs, saved with it
        self.save(inputs, weight_ih, weight_hh, gates.array, hs, cs)
        last = 0 if r else active
        return self.output(hs, steps, active), hs[last].copy(), cs[last].copy()

    def backward(self, dout, dh_n, dc_n):
        inputs, weight_ih, weight_hh, gates, hs, cs = self.saved
        xp = xp_of(hs)
        active, r = hs.shape[0] - 1, self.reverse
        batch, hidden = hs.shape[1], hs.shape[2]
        # the activations become their gradients in place, unless another backward will read them
        gates = Gates(gates.copy() if self.retain_graph else gates, batch, 4)
        dh = xp.zeros_like(hs[0]) if dh_n is None else dh_n.copy()
        dc = xp.zeros_like(hs[0]) if dc_n is None else dc_n.copy()
        dc_t, s, tanh_c = xp.empty_like(dh), xp.empty_like(dh), xp.empty_like(dh)
        d_rec = xp.empty((batch, 4 * hidden), dtype=hs.dtype)
        w_hh = self.per_gate(weight_hh, 4, ORDER).reshape(4 * hidden, hidden)     # rows in internal order
        reals, anomaly, recording = self.reals(active), is_anomaly_enabled(), self.recording()
        if recording:
            self.start_recording(self.steps)
        for t in reversed(self.order(active)):
            a, real = gates.step(t), reals[t]
            if real is not None:
                kept_h, kept_c = self.keep_padded(real, (dh, dc))
            if dout is not None:
                dh += dout[t]
            if real is not None:
                dh *= real
                dc *= real
            xp.tanh(cs[t + 1 - r], out=tanh_c)                        # recomputed: cheaper than keeping T of them
            cell_backward(a, cs[t + r], tanh_c, dh, dc, dc_t, s)
            if recording:
                self.record(t, dh, dc_t)
            xp.matmul(gates.row(t, a, d_rec), w_hh, out=dh)           # dh_{t-1} = [da_i, da_f, da_o, da_g] W_hh
            if real is not None:
                dh += kept_h
                dc += kept_c
            if anomaly:
                self.check_step("backward", ("gradient dL/dh_{t-1}", "gradient dL/dc_{t-1}"), t, dh, dc)
        needs, back = self.needs_grad, list(ORDER)                    # back: internal gate order -> PyTorch's
        da = gates.per_gate                                           # (4, T*B, H)
        dx, dw_ih = gates.input_backward(inputs, self.per_gate(weight_ih, 4, ORDER), needs[0], needs[3])
        grads = [self.input_gradient(dx, batch), dh if needs[1] else None, dc if needs[2] else None,
                 None if dw_ih is None else dw_ih[back].reshape(weight_ih.shape), None]
        if needs[4]:
            h_prev = hs[r:active + r].reshape(active * batch, hidden)   # h_{t-1} of every step, in step order
            grads[4] = xp.matmul(da.transpose(0, 2, 1), h_prev)[back].reshape(weight_hh.shape)
        if len(needs) > 5:
            db = da.sum(axis=1)[back].reshape(-1)
            grads += [db, db.copy()]
        return tuple(grads)

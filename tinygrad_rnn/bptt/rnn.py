"""The Elman RNN layer, one direction, as one op: backpropagation through time by hand.

The composite path (nn/rnn.py, impl="composite") builds every step from matmul,
add and tanh (or relu), and autograd walks the unrolled graph back: BPTT by
autograd. This op does the same arithmetic in one forward loop and one backward
loop that are written out, so the graph holds a single node.

Forward, t = 0..T-1 (T-1..0 for the reverse direction), PyTorch's equations:

    h_t = act(x_t W_ih^T + b_ih + b_hh + h_{t-1} W_hh^T)      (B, H),  act = tanh or relu

    x: (T, B, I), h_0: (B, H), W_ih: (H, I), W_hh: (H, H), b_ih, b_hh: (H,)
    output: every h_t (T, B, H); h_n: the last state (B, H)

x_t W_ih^T + b for all steps is one GEMM before the loop, written straight into
the rows where the states h_t are kept (T + 1, B, H); each step adds h_{t-1} W_hh^T
and applies act in place, so those rows end as the output.

Backward, t = T-1..0, with dh = dL/dh_t (from the output at t and from step t+1):

    da_t = dh * (1 - h_t^2)   (tanh)   or   dh * [h_t > 0]   (relu)       (B, H)
    dh_{t-1} = da_t W_hh

and after the loop, with da of every step (T*B, H) and h_{t-1} of every step (T*B, H):

    dW_hh = da^T H_prev,   dW_ih = da^T X,   db_ih = db_hh = column sums of da,   dx = da W_ih

The activation's derivative is read off h_t itself, so nothing but the states is kept.
"""

from ..autograd import is_anomaly_enabled
from ..backend import xp_of
from ..errors import OpError
from ..kernels import RNN_RELU_BACKWARD, RNN_RELU_FORWARD, RNN_TANH_BACKWARD, RNN_TANH_FORWARD, cuda_kernel
from .op import BPTTOp

NONLINEARITIES = ("tanh", "relu")


def check_nonlinearity(where, nonlinearity):
    """The one check of an Elman RNN's nonlinearity, for the layers, the cells and this op."""
    if nonlinearity not in NONLINEARITIES:
        raise OpError(f"{where}: nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    return nonlinearity


@cuda_kernel(RNN_TANH_FORWARD)
def tanh_forward(h, rec):
    """h_t <- tanh(h_t + rec) in place: h holds x_t W_ih^T + b, rec is h_{t-1} W_hh^T (B, H)."""
    h += rec
    xp_of(h).tanh(h, out=h)


@cuda_kernel(RNN_RELU_FORWARD)
def relu_forward(h, rec):
    """h_t <- relu(h_t + rec) in place."""
    h += rec
    xp_of(h).maximum(h, 0, out=h)


@cuda_kernel(RNN_TANH_BACKWARD)
def tanh_backward(dh, h, d):
    """d <- da_t = dh (1 - h_t^2) = dh - dh h_t h_t."""
    xp = xp_of(d)
    xp.multiply(dh, h, out=d)
    d *= h
    xp.subtract(dh, d, out=d)


@cuda_kernel(RNN_RELU_BACKWARD)
def relu_backward(dh, h, d):
    """d <- da_t = dh [h_t > 0]."""
    xp_of(d).multiply(dh, h > 0, out=d)


CELLS = {"tanh": (tanh_forward, tanh_backward), "relu": (relu_forward, relu_backward)}


class RNNBPTT(BPTTOp):
    """(x (T, B, I), h_0 (B, H), weight_ih (H, I), weight_hh (H, H)[, bias_ih, bias_hh (H,)])
    -> (output (T, B, H), h_n (B, H)): one Elman layer direction; equations in the module docstring."""

    family, gates = "RNN", 1

    def __init__(self, reverse=False, masks=None, nonlinearity="tanh"):
        super().__init__(reverse, masks)
        self.nonlinearity = check_nonlinearity(self.name, nonlinearity)

    def forward(self, x, h0, weight_ih, weight_hh, *biases):
        self.check_shapes(x, h0, weight_ih, weight_hh)
        xp = xp_of(x)
        steps, batch, hidden = x.shape[0], x.shape[1], weight_hh.shape[1]
        active, r = self.active_steps(steps), self.reverse
        self.steps = steps
        inputs = x[:active].reshape(active * batch, x.shape[2])                 # X (T*B, I)
        hs = xp.empty((active + 1, batch, hidden), dtype=x.dtype)
        projection = hs[1 - r:active + 1 - r].reshape(active * batch, hidden)  # the rows of h_t, t in step order
        xp.matmul(inputs, weight_ih.T, out=projection)
        if biases:
            projection += biases[0] + biases[1]
        hs[r * active] = h0
        w_hh_t = xp.ascontiguousarray(weight_hh.T)
        rec = xp.empty((batch, hidden), dtype=x.dtype)
        cell, reals, anomaly = CELLS[self.nonlinearity][0], self.reals(active), is_anomaly_enabled()
        for t in self.order(active):
            before, after = t + r, t + 1 - r
            h = hs[after]
            xp.matmul(hs[before], w_hh_t, out=rec)
            cell(h, rec)
            if reals[t] is not None:                               # padded sequences keep their state
                xp.copyto(h, hs[before], where=~reals[t])
            if anomaly:
                self.check_step("forward", ("output h_t",), t, h)
        # backward reads the state of every step; the output is a slice of hs, saved with it
        self.save(inputs, weight_ih, weight_hh, hs)
        return self.output(hs, steps, active), hs[0 if r else active].copy()

    def backward(self, dout, dh_n):
        inputs, weight_ih, weight_hh, hs = self.saved
        xp = xp_of(hs)
        active, r = hs.shape[0] - 1, self.reverse
        batch, hidden = hs.shape[1], hs.shape[2]
        dh = xp.zeros_like(hs[0]) if dh_n is None else dh_n.copy()
        da = xp.empty((active, batch, hidden), dtype=hs.dtype)     # every step's dL/d(pre-activation)
        cell, reals = CELLS[self.nonlinearity][1], self.reals(active)
        anomaly, recording = is_anomaly_enabled(), self.recording()
        if recording:
            self.start_recording(self.steps)
        for t in reversed(self.order(active)):
            h, d, real = hs[t + 1 - r], da[t], reals[t]
            if real is not None:
                (kept,) = self.keep_padded(real, (dh,))
            if dout is not None:
                dh += dout[t]
            if real is not None:
                dh *= real
            if recording:
                self.record(t, dh)
            cell(dh, h, d)                                            # da_t = dh act'(a_t), read off h_t
            xp.matmul(d, weight_hh, out=dh)                           # dh_{t-1} = da_t W_hh
            if real is not None:
                dh += kept
            if anomaly:
                self.check_step("backward", ("gradient dL/dh_{t-1}",), t, dh)
        needs = self.needs_grad
        rows = da.reshape(active * batch, hidden)
        dx = dw_ih = dw_hh = None
        if needs[0]:
            dx = self.input_gradient(rows @ weight_ih, batch)
        if needs[2]:
            dw_ih = rows.T @ inputs
        if needs[3]:
            dw_hh = rows.T @ hs[r:active + r].reshape(active * batch, hidden)
        grads = [dx, dh if needs[1] else None, dw_ih, dw_hh]
        if len(needs) > 4:
            db = rows.sum(axis=0)
            grads += [db, db.copy()]
        return tuple(grads)

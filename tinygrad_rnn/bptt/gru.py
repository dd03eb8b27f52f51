"""The GRU layer, one direction, as one op: backpropagation through time by hand.

The composite path (nn/gru.py, impl="composite") builds every step from matmul,
add, split, sigmoid, tanh and mul, and autograd walks the unrolled graph back:
BPTT by autograd. This op does the same arithmetic in one forward loop and one
backward loop that are written out, so the graph holds a single node.

Forward, t = 0..T-1 (T-1..0 for the reverse direction), PyTorch's equations:

    [x_r, x_z, x_n] = x_t W_ih^T + b_ih                    (3, B, H), gate-major
    [h_r, h_z, h_n] = h_{t-1} W_hh^T + b_hh                (3, B, H)
    r = sigmoid(x_r + h_r),  z = sigmoid(x_z + h_z)
    n = tanh(x_n + r * h_n)                                 r gates W_hn h + b_hn, so b_hh stays on the h side
    h_t = (1 - z) * n + z * h_{t-1}  =  n + z (h_{t-1} - n)  (B, H)

    x: (T, B, I), h_0: (B, H), W_ih, W_hh: (3H, I), (3H, H), b_ih, b_hh: (3H,)
    output: every h_t (T, B, H); h_n: the last state (B, H)

x_t W_ih^T + b_ih for all steps is one GEMM per gate before the loop; each step
makes h_{t-1} W_k^T for the three gates in one batched product, builds r, z and n
in place in its block of the projection, and keeps h_n (the recurrent share of n)
in its rows of one (T*B, H) buffer.

Backward, t = T-1..0, with dh = dL/dh_t (from the output at t and from step t+1):

    dn = dh (1 - z) (1 - n^2)          d(x_n + r h_n)
    dz = dh (h_{t-1} - n) z (1 - z)
    dh_n = dn * r                      d(h_{t-1} W_hn^T + b_hn)
    dr = dn h_n r (1 - r)
    d gates_x = [dr, dz, dn],   d gates_h = [dr, dz, dh_n]              (3, B, H)
    dh_{t-1} = dh * z + d gates_h W_hh                                   one (B, 3H) x (3H, H) GEMM

and after the loop, with the gradients of every step and h_{t-1} of every step (T*B, H):

    dW_hh = [dr^T H_prev; dz^T H_prev; dh_n^T H_prev],   db_hh = their column sums
    dW_ih[k] = d gates_x[k]^T X,   db_ih = column sums of d gates_x,   dx = sum_k d gates_x[k] W_ih[k]

Each step's activations and h_n become their gradients in place (unless the graph
is retained: then copies do), so backward allocates nothing of size T.
"""

from ..autograd import is_anomaly_enabled
from ..backend import xp_of
from ..kernels import GRU_BACKWARD, GRU_FORWARD, cuda_kernel
from ..ops.unary import sigmoid_
from .gates import Gates
from .op import BPTTOp


@cuda_kernel(GRU_FORWARD)
def cell_forward(a, h_n, h_prev, h, scratch):
    """a: the step's (3, B, H) block, r and z holding x + h pre-activations and n holding x_n,
    turned into r, z, n in place; h_n = h_{t-1} W_hn^T + b_hn; h_t is written into h."""
    xp = xp_of(a)
    sigmoid_(a[0:2])
    r, z, n = a
    xp.multiply(r, h_n, out=scratch)
    n += scratch
    xp.tanh(n, out=n)
    xp.subtract(h_prev, n, out=h)
    h *= z
    h += n


@cuda_kernel(GRU_BACKWARD)
def cell_backward(a, h_n, h_prev, dh, s1, s2):
    """a: the step's r, z, n (3, B, H), turned into [dr, dz, dn] in place; h_n into dh_n = dn r;
    dh = dL/dh_t becomes dh z, the direct path's share of dh_{t-1}. s1, s2: free (B, H) arrays.
    Each gate is read for the last time as its gradient is written over it."""
    xp = xp_of(a)
    r, z, n = a
    xp.subtract(1, z, out=s1)
    xp.subtract(h_prev, n, out=s2)   # h_{t-1} - n, for dz, while n is the gate
    n *= n                           # dn = dh (1 - z) (1 - n^2)
    xp.subtract(1, n, out=n)
    n *= s1
    n *= dh
    s2 *= dh
    dh *= z                          # dh z: h_t = n + z (h_{t-1} - n) hands it straight to h_{t-1}
    z *= s1                          # dz = dh (h_{t-1} - n) z (1 - z)
    z *= s2
    xp.multiply(n, h_n, out=s1)      # dn h_n, for dr, before h_n becomes dh_n
    xp.multiply(n, r, out=h_n)       # dh_n = dn r
    xp.subtract(1, r, out=s2)        # dr = dn h_n r (1 - r)
    r *= s2
    r *= s1


class GRUBPTT(BPTTOp):
    """(x (T, B, I), h_0 (B, H), weight_ih (3H, I), weight_hh (3H, H)[, bias_ih, bias_hh (3H,)])
    -> (output (T, B, H), h_n (B, H)): one GRU layer direction; equations in the module docstring."""

    family, gates = "GRU", 3

    def forward(self, x, h0, weight_ih, weight_hh, *biases):
        self.check_shapes(x, h0, weight_ih, weight_hh)
        xp = xp_of(x)
        steps, batch, hidden = x.shape[0], x.shape[1], weight_hh.shape[1]
        active, r = self.active_steps(steps), self.reverse
        self.steps = steps
        inputs = x[:active].reshape(active * batch, x.shape[2])                      # X (T*B, I)
        gates = Gates.project(inputs, self.per_gate(weight_ih, 3), biases[0].reshape(3, hidden) if biases else None,
                              batch)
        w_hh_t = xp.ascontiguousarray(self.per_gate(weight_hh, 3).transpose(0, 2, 1))   # W_k^T (3, H, H)
        b_hh = biases[1].reshape(3, 1, hidden) if biases else None
        hs = xp.empty((active + 1, batch, hidden), dtype=x.dtype)
        h_ns = xp.empty((active, batch, hidden), dtype=x.dtype)                    # h_{t-1} W_hn^T + b_hn
        hs[r * active] = h0
        rec = xp.empty((3, batch, hidden), dtype=x.dtype)
        reals, anomaly = self.reals(active), is_anomaly_enabled()
        for t in self.order(active):
            before, after = t + r, t + 1 - r
            a = gates.step(t)
            xp.matmul(hs[before], w_hh_t, out=rec)                    # h_{t-1} W_k^T, one GEMM per gate
            if b_hh is not None:
                rec += b_hh
            a[0:2] += rec[0:2]
            h_ns[t] = rec[2]
            cell_forward(a, h_ns[t], hs[before], hs[after], rec[0])
            if reals[t] is not None:                                   # padded sequences keep their state
                xp.copyto(hs[after], hs[before], where=~reals[t])
            if anomaly:
                self.check_step("forward", ("output h_t",), t, hs[after])
        # backward reads the state of every step; the output is a slice of hs, saved with it
        self.save(inputs, weight_ih, weight_hh, gates.array, h_ns, hs)
        return self.output(hs, steps, active), hs[0 if r else active].copy()

    def backward(self, dout, dh_n):
        inputs, weight_ih, weight_hh, gates, h_ns, hs = self.saved
        xp = xp_of(hs)
        active, r = hs.shape[0] - 1, self.reverse
        batch, hidden = hs.shape[1], hs.shape[2]
        if self.retain_graph:  # another backward will read the activations: turn copies into gradients
            gates, h_ns = gates.copy(), h_ns.copy()
        gates = Gates(gates, batch, 3)
        dh = xp.zeros_like(hs[0]) if dh_n is None else dh_n.copy()
        s1, s2, dh_rec = xp.empty_like(dh), xp.empty_like(dh), xp.empty_like(dh)
        d_rec = xp.empty((batch, 3 * hidden), dtype=hs.dtype)
        reals, anomaly, recording = self.reals(active), is_anomaly_enabled(), self.recording()
        if recording:
            self.start_recording(self.steps)
        for t in reversed(self.order(active)):
            before = t + r
            a, real = gates.step(t), reals[t]
            if real is not None:
                (kept,) = self.keep_padded(real, (dh,))
            if dout is not None:
                dh += dout[t]
            if real is not None:
                dh *= real
            if recording:
                self.record(t, dh)
            cell_backward(a, h_ns[t], hs[before], dh, s1, s2)
            xp.concatenate((a[0], a[1], h_ns[t]), axis=1, out=d_rec)   # d gates_h = [dr, dz, dh_n] (B, 3H)
            xp.matmul(d_rec, weight_hh, out=dh_rec)
            dh += dh_rec                                                 # dh_{t-1} = dh z + d gates_h W_hh
            if real is not None:
                dh += kept
            if anomaly:
                self.check_step("backward", ("gradient dL/dh_{t-1}",), t, dh)
        needs = self.needs_grad
        n_rows = active * batch
        h_prev = hs[r:active + r].reshape(n_rows, hidden)            # h_{t-1} of every step, in step order
        dh_ns = h_ns.reshape(n_rows, hidden)
        da = gates.per_gate                                           # (3, T*B, H): [dr, dz, dn]
        dx, dw_ih = gates.input_backward(inputs, self.per_gate(weight_ih, 3), needs[0], needs[2])
        dw_hh = None
        if needs[3]:
            dw_hh = xp.concatenate([xp.matmul(da[0:2].transpose(0, 2, 1), h_prev).reshape(2 * hidden, hidden),
                                    dh_ns.T @ h_prev])
        grads = [self.input_gradient(dx, batch), dh if needs[1] else None,
                 None if dw_ih is None else dw_ih.reshape(weight_ih.shape), dw_hh]
        if len(needs) > 4:
            grads.append(da.sum(axis=1).reshape(-1) if needs[4] else None)
            grads.append(xp.concatenate([da[0:2].sum(axis=1).reshape(-1), dh_ns.sum(axis=0)])
                         if needs[5] else None)
        return tuple(grads)

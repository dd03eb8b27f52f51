"""Every step's gates in one array, laid out for the batch size.

A gated BPTT op (LSTM, GRU, peephole LSTM) keeps the gate pre-activations of all
T steps in one buffer: made by the input projection before the loop, turned into
the activations step by step in forward, and into their gradients step by step in
backward. Two layouts, one interface:

    gate-major  (G, T*B, H)   from batch 2: gate k of step t is the contiguous (B, H)
                              block [k, t*B:(t+1)*B]. NumPy's pointwise loops run two to
                              four times faster on such a block than on a column slice of
                              a (B, G*H) row, and a cell makes some twenty pointwise passes
                              per step.
    rows        (T*B, G*H)    at batch 1, PyTorch's own: step t's row (1, G*H) is then
                              already a contiguous (G, 1, H) block, so da_t W_hh needs no
                              gathering of the G blocks into one row, a copy per step that
                              gate-major pays.

    Gates.project(x, W, b, batch)   gates_x = x W_k^T + b_k for every row of x (T*B, I) and gate k
    step(t)                         step t's (G, B, H) view, the same in both layouts
    row(t, a, out)                  step t as one (B, G*H) row, for one GEMM with W_hh: the
                                    buffer's own row, or the blocks of `a` side by side in `out`
    per_gate                        all steps as (G, T*B, H), for the GEMMs after the loop
    input_backward(x, W)            dx = sum_k da[k] W_k,  dW_k = da[k]^T x  from per_gate
"""

from ..backend import xp_of


class Gates:
    def __init__(self, array, batch, gates):
        self.array, self.batch = array, batch
        if array.ndim == 3:                                   # gate-major (G, N, H)
            _, rows, hidden = array.shape
            self.per_gate = array
            self.steps = array.reshape(gates, rows // batch, batch, hidden).transpose(1, 0, 2, 3)
            self.rows = None
        else:                                                 # rows (N, G*H)
            rows, width = array.shape
            hidden = width // gates
            self.per_gate = array.reshape(rows, gates, hidden).transpose(1, 0, 2)
            self.steps = array.reshape(rows // batch, batch, gates, hidden).transpose(0, 2, 1, 3)
            self.rows = array.reshape(rows // batch, batch, width)

    @classmethod
    def project(cls, x, weight, bias, batch):
        """x (N, I), weight (G, H, I) (gate k's rows of W_ih), bias (G, H) or None -> Gates of x W_k^T + b_k."""
        gates, hidden, size = weight.shape
        if batch == 1:
            array = x @ weight.reshape(gates * hidden, size).T           # one GEMM, (N, G*H)
            if bias is not None:
                array += bias.reshape(-1)
        else:
            array = xp_of(x).matmul(x, weight.transpose(0, 2, 1))      # one GEMM per gate, (G, N, H)
            if bias is not None:
                array += bias.reshape(gates, 1, hidden)
        return cls(array, batch, gates)

    def copy(self):
        return Gates(self.array.copy(), self.batch, self.per_gate.shape[0])

    def step(self, t):
        return self.steps[t]

    def row(self, t, a, out):
        if self.rows is not None:
            return self.rows[t]
        return xp_of(out).concatenate(tuple(a), axis=1, out=out)

    def input_backward(self, x, weight, needs_dx, needs_dw):
        """Turned into da: (dx (N, I) or None, dW (G, H, I) or None) for x (N, I), weight (G, H, I)."""
        da = self.per_gate
        dx = dweight = None
        if needs_dx:
            dx = da[0] @ weight[0]
            for k in range(1, da.shape[0]):
                dx += da[k] @ weight[k]
        if needs_dw:
            dweight = xp_of(da).matmul(da.transpose(0, 2, 1), x)
        return dx, dweight

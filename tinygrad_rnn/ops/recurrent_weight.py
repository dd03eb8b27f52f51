"""The recurrent weight W_hh on the fast path: read at every step, differentiated once.

The fast path keeps gates gate-major: the input projection of all T steps is a
(G, T*B, H) array (ops/input_projection.py), step t's gates are its (G, B, H)
piece [:, t*B:(t+1)*B], and each gate of each step is one contiguous (B, H) block.

Every step t of a layer computes gates_h_t = h_{t-1} W_hh^T, one (B, H) x (H, H)
product per gate. Differentiating that product step by step makes a (G*H, H)
weight gradient per step and adds T of them up. In the LSTM and Elman cells
gates_h_t and gates_x_t are summed into one pre-activation, so both receive the
same gradient dgates_t, and the whole sum is one matmul per gate over the sequence:

    dW_k = sum_t dgates_t[k]^T h_{t-1} = dGX[k]^T H_prev
           dGX: (G, T*B, H) the gradient of every step's gates_x,  H_prev: (T*B, H)

The GRU is the one difference: r multiplies h_n = h W_hn^T + b_hn, so b_hh
stays on the h side (added at every step, its gradient summed once here), and
W_hn sees d h_n = dn * r rather than dn. Each GRU step keeps its h_n in the rows
of one (T*B, H) buffer and its backward turns them into d h_n in place, so

    dW_hh = [dGX[r]^T H_prev ; dGX[z]^T H_prev ; dHN^T H_prev],   db_hh = the column sums of the same

An op and a record share the work with the family's fused step op
(Fused{LSTM,GRU,RNN}Step), which makes gates_h = h_{t-1} W_hh^T (+ b_hh) and
dh_{t-1} = dgates_h W_hh through the record:

    SequenceGradient    cuts gates_x of all steps into the T steps' pieces;
                        backward joins their gradients into dGX and gives W_hh
                        (and the GRU's b_hh) its gradient from the h_{t-1} recorded forward
    RecurrentWeight     what a layer direction's loop holds: W_hh as constants in
                        both layouts (both contiguous), the records, and the
                        buffers for every step's gradients

SequenceGradient is an input of every step, so backward reaches it only after
all of them: by then dGX (and dHN) are complete, and the records were filled
during forward. The fused cells write their gate gradients straight into their
pieces of those buffers, so joining the T pieces costs nothing: no copy.
"""

from ..autograd import Function
from ..backend import xp_of


class SequenceGradient(Function):
    """(gates_x (G, T*B, H), weight_hh (G*H, H)[, bias_hh (3H,) for the GRU]) -> the T pieces (G, B, H)
    of gates_x, one per step; backward joins their gradients into dGX and gives W_hh (and b_hh) their
    gradients over the n steps that ran (the equations are in the module docstring). A piece's gradient
    already in its place in the record's buffer is not copied; a piece that got none is zero."""


    def __init__(self, record):
        self.record = record  # the RecurrentWeight whose loop fills hidden (and the GRU's h_n)

    def forward(self, gates_x, weight_hh, *bias_hh):
        rows = self.record.rows
        return tuple(gates_x[:, t * rows:(t + 1) * rows] for t in range(self.record.steps))

    def backward(self, *dpieces):
        record = self.record
        rows = record.rows
        dgates_x, handed, dhn = record.take_gate_grads()
        if dgates_x is None:
            like = next(g for g in dpieces if g is not None)
            dgates_x = xp_of(like).empty((like.shape[0], record.steps * rows, like.shape[2]), dtype=like.dtype)
        for t, g in enumerate(dpieces):
            if g is None:  # the step's backward did not run: nothing reached it
                dgates_x[:, t * rows:(t + 1) * rows] = 0
                if dhn is not None:
                    dhn[t * rows:(t + 1) * rows] = 0
            elif g is not handed[t]:
                dgates_x[:, t * rows:(t + 1) * rows] = g
        ran = [h for h in record.hidden if h is not None]  # steps 0..n-1, whatever the direction
        count = sum(h.shape[0] for h in ran)
        # the gradient of gates_h, gate by gate: dGX's rows of the steps that ran, the GRU's n gate from dHN
        sides = dgates_x[:, :count] if dhn is None else dgates_x[:2, :count]
        xp = xp_of(dgates_x)
        dweight = dbias = None
        if self.needs_grad[1]:
            h_prev = xp.concatenate(ran, axis=0)
            dweight = xp.matmul(sides.transpose(0, 2, 1), h_prev).reshape(-1, h_prev.shape[1])  # one GEMM per gate
            if dhn is not None:
                dweight = xp.concatenate([dweight, dhn[:count].T @ h_prev], axis=0)
        if len(self.needs_grad) > 2 and self.needs_grad[2]:
            dbias = sides.sum(axis=1).reshape(-1)
            if dhn is not None:
                dbias = xp.concatenate([dbias, dhn[:count].sum(axis=0)])
        return (dgates_x, dweight) + ((dbias,) if len(self.needs_grad) > 2 else ())


class StepOutputs(Function):
    """(h_0, ..., h_{T-1}) -> their stack (T, B, H) without a copy when every h_t was written
    into its row of the record's output buffer (output_row); backward hands each step its row."""


    def __init__(self, record):
        self.record = record

    def forward(self, *hidden):
        out = self.record.output
        if out is None or len(hidden) != out.shape[0] or any(h.base is not out for h in hidden):
            return xp_of(hidden[0]).stack(hidden)  # a step wrote elsewhere: copy as stack would
        return out

    def backward(self, g):
        return tuple(g[t] for t in range(g.shape[0]))


class RecurrentWeight:
    """W_hh (and the GRU's b_hh) for the steps of one layer direction.

    attach(gates_x)         the steps' pieces (G, B, H) of gates_x (G, T*B, H), through SequenceGradient
    hidden_product(h, t)    gates_h = h W_hh^T (+ b_hh) for step t as (G, B, H), recording h_{t-1}:
                            a scratch array that the next step overwrites
    hidden_gradient(dg)     dh_{t-1} = dgates_h W_hh for dgates_h (G, B, H), for a step op's backward
    output_row(t)           where step t's fused op writes h_t: a row of the (T, B, H) output
    grad_rows(t)            where step t's fused op writes its gate gradient (G, B, H)
    grad_rows_in_place(t)   the same in the step's own piece of the projection (LSTM and GRU
                            without retain_graph; the Elman cell always: its h_t is in the output)
    hn_rows(t)              where a GRU step keeps h_n; hn_grad_rows(t) and hn_grad_rows_in_place(t)
                            where it writes d h_n, as for the gates
    """

    def __init__(self, weight_hh, steps, bias_hh=None):
        xp = xp_of(weight_hh.array)
        self.weight_hh, self.bias_hh = weight_hh, bias_hh
        self.weight = xp.ascontiguousarray(weight_hh.array)                     # (G*H, H), for dh_{t-1}
        hidden = self.weight.shape[1]
        gates = self.weight.shape[0] // hidden
        # W_k^T for every gate k, contiguous: each step's G products h W_k^T read it
        self.weight_t = xp.ascontiguousarray(self.weight.reshape(gates, hidden, hidden).transpose(0, 2, 1))
        self.bias = None if bias_hh is None else bias_hh.array.reshape(gates, 1, hidden)
        self.steps, self.rows = steps, None
        self.hidden = [None] * steps
        self.output = self.scratch = self.projection = self.hn = None
        self._grads = self._handed = self._hn_grads = None

    def attach(self, gates_x):
        """gates_x (G, T*B, H) -> the list of its T pieces (G, B, H)."""
        gates, total, hidden = gates_x.shape
        self.rows = total // self.steps
        self.projection = gates_x.array  # where the fused steps build their activations
        self.scratch = xp_of(gates_x.array).empty((gates, self.rows, hidden), dtype=gates_x.dtype)
        bias = () if self.bias_hh is None else (self.bias_hh,)
        pieces = SequenceGradient.apply(gates_x, self.weight_hh, *bias, record=self)
        return list(pieces) if isinstance(pieces, tuple) else [pieces]

    def _piece(self, array, t):
        return array[:, t * self.rows:(t + 1) * self.rows]

    def _rows(self, array, t):
        return array[t * self.rows:(t + 1) * self.rows]

    def hidden_product(self, h, t):
        self.hidden[t] = h
        product = xp_of(h).matmul(h, self.weight_t, out=self.scratch)  # (G, B, H): one GEMM per gate
        if self.bias is not None:
            product += self.bias
        return product

    def hidden_gradient(self, dgates):
        """dh_{t-1} = sum_k dgates[k] W_k for the G blocks (B, H) of dgates: one GEMM over them side by side."""
        if len(dgates) == 1:
            return dgates[0] @ self.weight
        return xp_of(dgates[0]).concatenate(tuple(dgates), axis=1) @ self.weight

    def output_row(self, t):
        """Step t's (B, H) row of the layer direction's output (T, B, H), allocated at the first call."""
        if self.output is None:
            _, rows, hidden = self.scratch.shape
            self.output = xp_of(self.scratch).empty((self.steps, rows, hidden), dtype=self.scratch.dtype)
        return self.output[t]

    def hn_rows(self, t):
        """Step t's (B, H) rows of the GRU's h_n = h_{t-1} W_hn^T + b_hn for all steps, allocated at the first call."""
        if self.hn is None:
            self.hn = xp_of(self.scratch).empty((self.steps * self.rows, self.scratch.shape[2]),
                                                dtype=self.scratch.dtype)
        return self._rows(self.hn, t)

    def grad_rows(self, t):
        """Step t's (G, B, H) piece of the gate-gradient buffer, allocated by the first call of a backward."""
        if self._grads is None:
            self._grads = xp_of(self.projection).empty_like(self.projection)
            self._handed = [None] * self.steps
        piece = self._handed[t] = self._piece(self._grads, t)
        return piece

    def grad_rows_in_place(self, t):
        """Step t's piece of the projection itself, where its activations are: a step that
        may overwrite them (no retain_graph) writes its gate gradient there, and the
        buffer for all steps is then the projection's own array, not a second one."""
        if self._grads is None:
            self._grads = self.projection
            self._handed = [None] * self.steps
        piece = self._handed[t] = self._piece(self._grads, t)
        return piece

    def hn_grad_rows(self, t):
        """Step t's (B, H) rows of the d h_n buffer, allocated by the first call of a backward."""
        if self._hn_grads is None:
            self._hn_grads = xp_of(self.hn).empty_like(self.hn)
        return self._rows(self._hn_grads, t)

    def hn_grad_rows_in_place(self, t):
        """Step t's rows of h_n itself, which its backward may overwrite with d h_n (no retain_graph)."""
        if self._hn_grads is None:
            self._hn_grads = self.hn
        return self._rows(self._hn_grads, t)

    def take_gate_grads(self):
        """(the gate-gradient buffer, the pieces handed out per step, the d h_n buffer or None), then
        forget them: another backward gets its own."""
        grads, handed, hn_grads = self._grads, self._handed or [None] * self.steps, self._hn_grads
        self._grads = self._handed = self._hn_grads = None
        return grads, handed, hn_grads

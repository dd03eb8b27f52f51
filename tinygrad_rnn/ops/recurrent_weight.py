"""The recurrent weight W_hh on the fast path: read at every step, differentiated once.

Every step t of a layer computes gates_h_t = h_{t-1} W_hh^T. Differentiating
that product step by step makes a (G*H, H) weight gradient per step and adds
T of them up. In the LSTM and Elman cells gates_h_t and gates_x_t are summed
into one pre-activation, so both receive the same gradient dgates_t, and the
whole sum is one matmul over the sequence:

    dW_hh = sum_t dgates_t^T h_{t-1} = dGX^T H_prev
            dGX: (T*B, G*H) the gradient of every step's gates_x,  H_prev: (T*B, H)

The GRU is the one difference: r multiplies h_n = h W_hn^T + b_hn, so the n
columns of dgates_h are those of dgates_x times r_t, which the step records.

An op and a record share the work with the family's fused step op
(Fused{LSTM,GRU,RNN}Step), which makes gates_h = h_{t-1} W_hh^T and
dh_{t-1} = dgates W_hh through the record:

    SequenceGradient    cuts gates_x of all steps into the T steps' row blocks;
                        backward joins their gradients into dGX and gives W_hh its
                        gradient from the h_{t-1} (and GRU's r_t) recorded forward
    RecurrentWeight     what a layer direction's loop holds: W_hh as constants in
                        both layouts (both contiguous), the records, and one buffer
                        for every step's gate gradient

SequenceGradient is an input of every step, so backward reaches it only after
all of them: by then dGX is complete, and the records were filled during forward.
The fused cells write their gate gradients straight into the rows of that
buffer, so joining the T pieces costs nothing: no second (T*B, G*H) array, no
copy.
"""

from ..autograd import Function
from ..backend import xp_of


class SequenceGradient(Function):
    """(gates_x (T*B, G*H), weight_hh (G*H, H)) -> the T row blocks (B, G*H) of gates_x, one per step;
    backward joins their gradients into dGX and adds dW_hh = dGH[:n B]^T H_prev over the n steps that
    ran, dGH = dGX (n columns times r_t for the GRU). A piece's gradient already in its rows of the
    record's buffer is not copied; a piece that got none is zero."""

    checks_versions = False

    def __init__(self, record):
        self.record = record  # the RecurrentWeight whose loop fills hidden (and reset)

    def forward(self, gates_x, weight_hh):
        rows = self.record.rows
        return tuple(gates_x[t * rows:(t + 1) * rows] for t in range(self.record.steps))

    def backward(self, *dpieces):
        record = self.record
        rows = record.rows
        dgates_x, handed = record.take_gate_grads()
        if dgates_x is None:
            like = next(g for g in dpieces if g is not None)
            dgates_x = xp_of(like).empty((record.steps * rows, like.shape[-1]), dtype=like.dtype)
        for t, g in enumerate(dpieces):
            if g is None:
                dgates_x[t * rows:(t + 1) * rows] = 0
            elif g is not handed[t]:
                dgates_x[t * rows:(t + 1) * rows] = g
        dweight = None
        if self.needs_grad[1]:
            ran = [h for h in record.hidden if h is not None]  # steps 0..n-1, whatever the direction
            xp = xp_of(dgates_x)
            dgates_h = dgates_x[:sum(h.shape[0] for h in ran)]
            if record.reset is not None:
                hidden = ran[0].shape[1]
                dgates_h = dgates_h.copy()
                dgates_h[:, 2 * hidden:] *= xp.concatenate(record.reset[:len(ran)], axis=0)
            dweight = dgates_h.T @ xp.concatenate(ran, axis=0)
        return dgates_x, dweight


class StepOutputs(Function):
    """(h_0, ..., h_{T-1}) -> their stack (T, B, H) without a copy when every h_t was written
    into its row of the record's output buffer (output_row); backward hands each step its row."""

    checks_versions = False

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
    """W_hh for the steps of one layer direction.

    attach(gates_x)         the steps' pieces of gates_x, through SequenceGradient
    hidden_product(h, t)    gates_h = h W_hh^T for step t, recording h_{t-1}: a scratch array
                            that the next step overwrites
    hidden_gradient(dg)     dh_{t-1} = dgates W_hh, for such a step op's backward
    output_row(t)           where step t's fused op writes h_t: a row of the (T, B, H) output
    grad_rows(t)            where step t's fused op writes its gate gradient
    grad_rows_in_place(t)   the same in the step's own rows of the projection (LSTM, no retain_graph)
    gates_h_grad(dg)        a scratch copy of it, which a GRU step turns into d gates_h
    reset[t]                a GRU step's r_t
    """

    def __init__(self, weight_hh, steps, records_reset=False):
        xp = xp_of(weight_hh.data)
        self.weight_hh = weight_hh
        self.weight = xp.ascontiguousarray(weight_hh.data)
        # a contiguous W^T makes every step's product faster; for one step the copy would cost more
        self.weight_t = xp.ascontiguousarray(self.weight.T) if steps > 1 else self.weight.T
        self.steps, self.rows = steps, None
        self.hidden = [None] * steps
        self.reset = [None] * steps if records_reset else None
        self.output = self.scratch = self.projection = self._grads = self._handed = self._gates_h_grad = None

    def attach(self, gates_x):
        """gates_x (T*B, G*H) -> the list of its T pieces (B, G*H)."""
        self.rows = gates_x.shape[0] // self.steps
        self.projection = gates_x.data  # where the fused steps build their activations
        self.scratch = xp_of(gates_x.data).empty((self.rows, gates_x.shape[1]), dtype=gates_x.dtype)
        pieces = SequenceGradient.apply(gates_x, self.weight_hh, record=self)
        return list(pieces) if isinstance(pieces, tuple) else [pieces]

    def _rows(self, array, t):
        return array[t * self.rows:(t + 1) * self.rows]

    def hidden_product(self, h, t):
        self.hidden[t] = h
        return xp_of(h).matmul(h, self.weight_t, out=self.scratch)

    def hidden_gradient(self, dgates):
        return dgates @ self.weight

    def gates_h_grad(self, dgates_x):
        """A scratch copy of dgates_x (B, G*H) that a GRU step turns into d gates_h; the next step overwrites it."""
        if self._gates_h_grad is None:
            self._gates_h_grad = xp_of(dgates_x).empty_like(dgates_x)
        self._gates_h_grad[...] = dgates_x
        return self._gates_h_grad

    def grad_rows(self, t):
        """Step t's (B, G*H) rows of the gate-gradient buffer, allocated by the first call of a backward."""
        if self._grads is None:
            self._grads = xp_of(self.scratch).empty((self.steps * self.rows, self.scratch.shape[1]),
                                                    dtype=self.scratch.dtype)
            self._handed = [None] * self.steps
        rows = self._handed[t] = self._rows(self._grads, t)
        return rows

    def output_row(self, t):
        """Step t's (B, H) row of the layer direction's output (T, B, H), allocated at the first call."""
        if self.output is None:
            hidden = self.weight.shape[1]
            self.output = xp_of(self.scratch).empty((self.steps, self.rows, hidden), dtype=self.scratch.dtype)
        return self.output[t]

    def grad_rows_in_place(self, t):
        """Step t's rows of the projection itself, where its activations are: a step that
        may overwrite them (no retain_graph) writes its gate gradient there, and the
        buffer for all steps is then the projection's own array, not a second one."""
        if self._grads is None:
            self._grads = self.projection
            self._handed = [None] * self.steps
        rows = self._handed[t] = self._rows(self._grads, t)
        return rows

    def take_gate_grads(self):
        """(the buffer, the rows handed out per step), then forget both: another backward gets its own."""
        grads, handed = self._grads, self._handed or [None] * self.steps
        self._grads = self._handed = None
        return grads, handed

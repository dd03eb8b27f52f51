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

Two ops and a record share the work:

    HiddenProduct       per step: gates_h = h_{t-1} W_hh^T, dh_{t-1} = dgates W_hh,
                        with W_hh held as a constant in both layouts (both contiguous)
    SequenceGradient    on gates_x of all steps: the identity forward; backward it
                        passes dGX on and gives W_hh its gradient from the h_{t-1}
                        (and GRU's r_t) recorded during the forward loop
    RecurrentWeight     what a layer direction's loop holds: the constant W_hh, the
                        records, and `product(h, t)` that makes one step's HiddenProduct

SequenceGradient is an input of every step, so backward reaches it only after
all of them: by then dGX is complete, and the records were filled during forward.
"""

from ..autograd import Function
from ..backend import xp_of


class HiddenProduct(Function):
    """(h (B, H), weight_hh (G*H, H)) -> gates_h = h W^T, computed from constant copies of W: weight (G*H, H)
    and weight_t = W^T (H, G*H);  dh = dgates W,  and None for weight_hh: SequenceGradient gives its gradient.

    weight_hh is an input so that the graph shows every step reading it, and so that the engine's
    version check refuses a backward after W_hh was changed in place."""

    def __init__(self, weight, weight_t):
        self.weight, self.weight_t = weight, weight_t

    def forward(self, h, weight_hh):
        self.save(weight_hh)  # kept only for the version check; the product uses the constants
        return h @ self.weight_t

    def backward(self, dgates):
        return dgates @ self.weight if self.needs_grad[0] else None, None


class SequenceGradient(Function):
    """(gates_x (T*B, G*H), weight_hh (G*H, H)) -> gates_x unchanged; backward adds
    dW_hh = dGH[:n B]^T H_prev over the n steps that ran, dGH = dGX (n columns times r_t for the GRU)."""

    checks_versions = False

    def __init__(self, record):
        self.record = record  # the RecurrentWeight whose loop fills hidden (and reset)

    def forward(self, gates_x, weight_hh):
        return gates_x

    def backward(self, dgates_x):
        dweight = None
        if self.needs_grad[1]:
            record = self.record
            ran = [h for h in record.hidden if h is not None]  # steps 0..n-1, whatever the direction
            xp = xp_of(dgates_x)
            dgates_h = dgates_x[:sum(h.shape[0] for h in ran)]
            if record.reset is not None:
                hidden = ran[0].shape[1]
                dgates_h = dgates_h.copy()
                dgates_h[:, 2 * hidden:] *= xp.concatenate(record.reset[:len(ran)], axis=0)
            dweight = dgates_h.T @ xp.concatenate(ran, axis=0)
        return dgates_x, dweight


class RecurrentWeight:
    """W_hh for the steps of one layer direction: `attach(gates_x)` puts SequenceGradient on
    gates_x; `product(h, t)` records h_{t-1} and returns gates_h = h W_hh^T; a GRU step also
    stores its r_t in `reset[t]`."""

    def __init__(self, weight_hh, steps, records_reset=False):
        xp = xp_of(weight_hh.data)
        self.weight_hh = weight_hh
        self.weight = xp.ascontiguousarray(weight_hh.data)
        # a contiguous W^T makes every step's product faster; for one step the copy would cost more
        self.weight_t = xp.ascontiguousarray(self.weight.T) if steps > 1 else self.weight.T
        self.hidden = [None] * steps
        self.reset = [None] * steps if records_reset else None

    def attach(self, gates_x):
        return SequenceGradient.apply(gates_x, self.weight_hh, record=self)

    def product(self, h, t):
        self.hidden[t] = h.data
        return HiddenProduct.apply(h, self.weight_hh, weight=self.weight, weight_t=self.weight_t)

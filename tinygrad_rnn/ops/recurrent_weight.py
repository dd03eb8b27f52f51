"""The recurrent weight W_hh on the fast path: read at every step, differentiated once.

Every step t of a layer computes gates_h_t = h_{t-1} W_hh^T. Differentiating
that product step by step makes a (G*H, H) weight gradient per step and adds
T of them up. In the LSTM and Elman cells gates_h_t and gates_x_t are summed
into one pre-activation, so both receive the same gradient dgates_t, and the
whole sum is one matmul over the sequence:

    dW_hh = sum_t dgates_t^T h_{t-1} = dGX^T H_prev
            dGX: (T*B, G*H) the gradient of every step's gates_x,  H_prev: (T*B, H)

Two ops share the work:

    HiddenProduct       per step: gates_h = h_{t-1} W_hh^T, dh_{t-1} = dgates W_hh,
                        with W_hh held as a constant in both layouts (both contiguous)
    SequenceGradient    on gates_x of all steps: the identity forward; backward it
                        passes dGX on and gives W_hh its gradient from the h_{t-1}
                        that the forward loop recorded in `hidden`

SequenceGradient is an input of every step, so backward reaches it only after
all of them: by then dGX is complete, and `hidden` was filled during forward.
"""

from ..autograd import Function
from ..backend import xp_of


class HiddenProduct(Function):
    """gates_h = h W^T with W a constant: weight (G*H, H) and weight_t = W^T (H, G*H), both contiguous."""

    checks_versions = False  # backward reads only the weights, held here

    def __init__(self, weight, weight_t):
        self.weight, self.weight_t = weight, weight_t

    def forward(self, h):
        return h @ self.weight_t

    def backward(self, dgates):
        return dgates @ self.weight


class SequenceGradient(Function):
    """(gates_x (T*B, G*H), weight_hh (G*H, H)) -> gates_x unchanged; backward adds
    dW_hh = dGX[:n B]^T H_prev, with H_prev the rows hidden[0..n-1] (the steps that ran)."""

    checks_versions = False

    def __init__(self, hidden):
        self.hidden = hidden  # hidden[t]: the (B, H) array step t read as h_{t-1}; None for a step never run

    def forward(self, gates_x, weight_hh):
        return gates_x

    def backward(self, dgates_x):
        dweight = None
        if self.needs_grad[1]:
            ran = [h for h in self.hidden if h is not None]  # steps 0..n-1, whatever the direction
            xp = xp_of(dgates_x)
            rows = sum(h.shape[0] for h in ran)
            dweight = dgates_x[:rows].T @ xp.concatenate(ran, axis=0)
        return dgates_x, dweight

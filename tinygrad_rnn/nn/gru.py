"""The GRU: nn.GRUCell (one step) and nn.GRU (layers over a sequence).

    [x_r, x_z, x_n] = x_t W_ih^T + b_ih           (batch, 3H), cut in H columns
    [h_r, h_z, h_n] = h_{t-1} W_hh^T + b_hh       (batch, 3H)
    r = sigmoid(x_r + h_r),  z = sigmoid(x_z + h_z)
    n = tanh(x_n + r * h_n)                       (r gates W_hn h + b_hn, as PyTorch)
    h_t = (1 - z) * n + z * h_{t-1}               (batch, H)

    x_t: (batch, input_size), W_ih: (3H, input_size), W_hh: (3H, H), b_ih, b_hh: (3H,)

Gate order r, z, n is PyTorch's. `step` below is one step from primitive ops
(impl="composite": BPTT by autograd); the fast path runs a whole layer direction as
one op, GRUBPTT in tinygrad_rnn/bptt/gru.py, whose backward is written by hand
(impl="fused", the default: BPTT by hand).
"""

from ..autograd import symbol
from ..bptt import GRUBPTT
from ..functions import split
from .recurrent_base import RecurrentBase, RecurrentCellBase


class _GRUMaths:
    gate_count, state_count = 3, 1

    def step(self, x, state, w_t):
        """Composite: the equations above from matmul, add, split, sigmoid, tanh and mul; each value
        named by its symbol for the drawing. w_t = (W_ih^T, W_hh^T, b_ih, b_hh)."""
        weight_ih_t, weight_hh_t, bias_ih, bias_hh = w_t
        h = state[0]
        gates_x, gates_h = symbol(x @ weight_ih_t, "x_t W_ih^T"), symbol(h @ weight_hh_t, "h_{t-1} W_hh^T")
        if bias_ih is not None:
            gates_x = symbol(gates_x + bias_ih, "[x_r, x_z, x_n]")
            gates_h = symbol(gates_h + bias_hh, "[h_r, h_z, h_n]")
        x_r, x_z, x_n = split(gates_x, h.shape[-1], axis=1)
        h_r, h_z, h_n = split(gates_h, h.shape[-1], axis=1)
        r, z = symbol((x_r + h_r).sigmoid(), "r"), symbol((x_z + h_z).sigmoid(), "z")
        n = symbol((x_n + symbol(r * h_n, "r * h_n")).tanh(), "n")
        return (symbol(symbol(symbol(1 - z, "1 - z") * n, "(1 - z) * n") + symbol(z * h, "z * h_{t-1}"), "h_t"),)

    def bptt(self, x, state, w, reverse, masks):
        """Fused: the whole sequence x (T, batch, in) as one GRUBPTT node -> (output (T, batch, H), (h_n,))."""
        weight_ih, weight_hh, bias_ih, bias_hh = w
        biases = () if bias_ih is None else (bias_ih, bias_hh)
        out, h = GRUBPTT.apply(x, state[0], weight_ih, weight_hh, *biases, reverse=reverse, masks=masks)
        return out, (h,)


class GRUCell(_GRUMaths, RecurrentCellBase):
    """One GRU step:

        r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr),  z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)),  h' = (1 - z) * n + z * h        each (batch, H)

    forward(x, hx=None) -> h'
        x: (batch, input_size) or (input_size,); hx, h': (batch, H) or (H,); hx zeros when None
    Parameters weight_ih (3H, input_size), weight_hh (3H, H), bias_ih, bias_hh (3H,), rows in gate order
    r, z, n, all from U(-1/sqrt(H), 1/sqrt(H)).
    impl: "fused", "composite" or None (the global default, see set_recurrent_impl).
    """


class GRU(_GRUMaths, RecurrentBase):
    """GRU layers; at each step t of layer k (x_t: the input, or layer k-1's output):

        r = sigmoid(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr),  z = sigmoid(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)
        n = tanh(x_t W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}   each (batch, H)

    GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
        bidirectional=False, impl=None)
    forward(x, hx=None, lengths=None) -> (output, h_n)
        x: (T, batch, input_size) ((batch, T, input_size) with batch_first, (T, input_size) unbatched)
        hx, h_n: (num_layers * D, batch, H); output: (T, batch, D * H)
    Parameters weight_ih_l{k}[_reverse] (3H, in), weight_hh_l{k}[_reverse] (3H, H), bias_ih_l{k}[_reverse],
    bias_hh_l{k}[_reverse] (3H,). Layout, lengths and dropout as in RecurrentBase.
    """

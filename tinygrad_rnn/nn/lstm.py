"""The LSTM: nn.LSTMCell (one step) and nn.LSTM (layers over a sequence).

    [a_i, a_f, a_g, a_o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh    (batch, 4H), cut in H columns
    i = sigmoid(a_i),  f = sigmoid(a_f),  g = tanh(a_g),  o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g                                           (batch, H)
    h_t = o * tanh(c_t)                                                 (batch, H)

    x_t: (batch, input_size), W_ih: (4H, input_size), W_hh: (4H, H), b_ih, b_hh: (4H,)

Gate order i, f, g, o is PyTorch's. `step` below is one step from primitive ops
(impl="composite": BPTT by autograd); the fast path runs a whole layer direction as
one op, LSTMBPTT in tinygrad_rnn/bptt/lstm.py, whose backward is written by hand
(impl="fused", the default: BPTT by hand).

With proj_size P > 0 (nn.LSTM only, as PyTorch's) h is projected after each step,
    h_t = (o * tanh(c_t)) W_hr^T      W_hr: (P, H), h_t: (batch, P), c_t stays (batch, H)
so W_hh is (4H, P) and h_n (num_layers * D, batch, P); those layers run the composite path.
"""

from ..autograd import symbol
from ..bptt import LSTMBPTT
from ..errors import OpError
from ..functions import split
from .linear import uniform_parameter
from .recurrent_base import RecurrentBase, RecurrentCellBase, init_bound


class _LSTMMaths:
    gate_count, state_count = 4, 2

    def step(self, x, state, w_t):
        """Composite: the equations above from matmul, add, split, sigmoid, tanh and mul; each value
        named by its symbol for the drawing. w_t = (W_ih^T, W_hh^T, b_ih, b_hh), and W_hr^T fifth
        for the projection."""
        weight_ih_t, weight_hh_t, bias_ih, bias_hh = w_t[:4]
        h, c = state
        gates = symbol(x @ weight_ih_t, "x_t W_ih^T") + symbol(h @ weight_hh_t, "h_{t-1} W_hh^T")
        if bias_ih is not None:
            gates = gates + bias_ih + bias_hh
        a_i, a_f, a_g, a_o = split(symbol(gates, "[a_i, a_f, a_g, a_o]"), c.shape[-1], axis=1)
        i, f = symbol(a_i.sigmoid(), "i"), symbol(a_f.sigmoid(), "f")
        g, o = symbol(a_g.tanh(), "g"), symbol(a_o.sigmoid(), "o")
        c = symbol(symbol(f * c, "f * c_{t-1}") + symbol(i * g, "i * g"), "c_t")
        h = symbol(o * symbol(c.tanh(), "tanh(c_t)"), "h_t")
        return (h if len(w_t) == 4 else symbol(h @ w_t[4], "h_t W_hr^T")), c

    def bptt(self, x, state, w, reverse, masks):
        """Fused: the whole sequence x (T, batch, in) as one LSTMBPTT node -> (output (T, batch, H), (h_n, c_n))."""
        weight_ih, weight_hh, bias_ih, bias_hh = w
        biases = () if bias_ih is None else (bias_ih, bias_hh)
        out, h, c = LSTMBPTT.apply(x, *state, weight_ih, weight_hh, *biases, reverse=reverse, masks=masks)
        return out, (h, c)


class LSTMCell(_LSTMMaths, RecurrentCellBase):
    """One LSTM step:

        [i, f, g, o] = sigmoid/sigmoid/tanh/sigmoid(x W_ih^T + b_ih + h W_hh^T + b_hh)   each (batch, H)
        c' = f * c + i * g,   h' = o * tanh(c')                                           (batch, H)

    forward(x, hx=None) -> (h', c')
        x: (batch, input_size) or (input_size,); hx = (h, c), each (batch, H) or (H,); zeros when None
    Parameters weight_ih (4H, input_size), weight_hh (4H, H), bias_ih, bias_hh (4H,), rows in gate order
    i, f, g, o, all from U(-1/sqrt(H), 1/sqrt(H)).
    impl: "fused", "composite" or None (the global default, see set_recurrent_impl).
    """


class LSTM(_LSTMMaths, RecurrentBase):
    """LSTM layers; at each step t of layer k (x_t: the input, or layer k-1's output):

        [i, f, g, o] = sigmoid/sigmoid/tanh/sigmoid(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)   (batch, H) each
        c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)                                          (batch, H)

    LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
         bidirectional=False, proj_size=0, impl=None)
    forward(x, hx=None, lengths=None) -> (output, (h_n, c_n))
        x: (T, batch, input_size) ((batch, T, input_size) with batch_first, (T, input_size) unbatched)
        hx = (h_0, c_0) and h_n, c_n: (num_layers * D, batch, H); output: (T, batch, D * H)
        (with proj_size P > 0: h_0, h_n (num_layers * D, batch, P), output (T, batch, D * P))
    Parameters weight_ih_l{k}[_reverse] (4H, in), weight_hh_l{k}[_reverse] (4H, H or P), bias_ih_l{k}[_reverse],
    bias_hh_l{k}[_reverse] (4H,), and with P > 0 weight_hr_l{k}[_reverse] (P, H). Layout, lengths and dropout
    as in RecurrentBase.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, impl=None, device=None, dtype=None):
        if not isinstance(proj_size, int) or isinstance(proj_size, bool) or proj_size < 0:
            raise OpError(f"LSTM: proj_size should be a positive integer or zero to disable projections, "
                          f"got {proj_size!r}")
        if proj_size and isinstance(hidden_size, int) and proj_size >= hidden_size:
            raise OpError(f"LSTM: proj_size has to be smaller than hidden_size, got proj_size={proj_size} and "
                          f"hidden_size={hidden_size}")
        # the parameter shapes drawn by super().__init__ depend on it, so it is set first
        object.__setattr__(self, "proj_size", proj_size)
        super().__init__(input_size, hidden_size, num_layers=num_layers, bias=bias, batch_first=batch_first,
                         dropout=dropout, bidirectional=bidirectional, impl=impl, device=device, dtype=dtype)

    @property
    def _h_size(self):
        return self.proj_size or self.hidden_size

    def _make_cell_parameters(self, suffix, input_size, bias):
        super()._make_cell_parameters(suffix, input_size, bias)
        if self.proj_size:
            self.register_parameter(f"weight_hr{suffix}", uniform_parameter((self.proj_size, self.hidden_size),
                                                                             init_bound(self.hidden_size)))

    def _cell_weights(self, suffix):
        w = super()._cell_weights(suffix)
        return w + (getattr(self, f"weight_hr{suffix}"),) if self.proj_size else w

    def _impl(self):
        # the fused LSTM op has no projection: a projected LSTM runs step by step
        return "composite" if self.proj_size else super()._impl()

    def extra_repr(self):
        return super().extra_repr() + (f", proj_size={self.proj_size}" if self.proj_size else "")

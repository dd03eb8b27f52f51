"""The Elman RNN: nn.RNNCell (one step) and nn.RNN (layers over a sequence).

    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)        (or relu instead of tanh)

    x_t: (batch, input_size), h_t: (batch, H),
    W_ih: (H, input_size), W_hh: (H, H), b_ih, b_hh: (H,)

`step` below is one step from primitive ops (impl="composite": BPTT by autograd);
the fast path runs a whole layer direction as one op, RNNBPTT in
tinygrad_rnn/bptt/rnn.py, whose backward is written by hand (impl="fused", the
default: BPTT by hand).
"""

from ..autograd import symbol
from ..bptt import RNNBPTT, check_nonlinearity
from .recurrent_base import RecurrentBase, RecurrentCellBase


class _RNNMaths:
    gate_count, state_count = 1, 1

    def step(self, x, state, w_t):
        """Composite: h_t = act(x W_ih^T + b_ih + h W_hh^T + b_hh), each value named by its symbol
        for the drawing. w_t = (W_ih^T, W_hh^T, b_ih, b_hh)."""
        weight_ih_t, weight_hh_t, bias_ih, bias_hh = w_t
        a = symbol(x @ weight_ih_t, "x_t W_ih^T") + symbol(state[0] @ weight_hh_t, "h_{t-1} W_hh^T")
        if bias_ih is not None:
            a = a + bias_ih + bias_hh
        return (symbol(a.tanh() if self.nonlinearity == "tanh" else a.relu(), "h_t"),)

    def bptt(self, x, state, w, reverse, masks):
        """Fused: the whole sequence x (T, batch, in) as one RNNBPTT node -> (output (T, batch, H), (h_n,))."""
        weight_ih, weight_hh, bias_ih, bias_hh = w
        biases = () if bias_ih is None else (bias_ih, bias_hh)
        out, h = RNNBPTT.apply(x, state[0], weight_ih, weight_hh, *biases, reverse=reverse, masks=masks,
                               nonlinearity=self.nonlinearity)
        return out, (h,)


class RNNCell(_RNNMaths, RecurrentCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu.

    forward(x, hx=None) -> h'
        x: (batch, input_size) or (input_size,); hx, h': (batch, H) or (H,); hx zeros when None
    Parameters weight_ih (H, input_size), weight_hh (H, H), bias_ih, bias_hh (H,), all from U(-1/sqrt(H), 1/sqrt(H)).
    impl: "fused", "composite" or None (the global default, see set_recurrent_impl).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", impl=None, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias=bias, impl=impl, device=device, dtype=dtype)
        self.nonlinearity = check_nonlinearity("RNNCell", nonlinearity)

    def extra_repr(self):
        return super().extra_repr() + f", nonlinearity={self.nonlinearity}"


class RNN(_RNNMaths, RecurrentBase):
    """Elman RNN layers: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh or relu.

    RNN(input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
        dropout=0.0, bidirectional=False, impl=None)
    forward(x, hx=None, lengths=None) -> (output, h_n)
        x: (T, batch, input_size) ((batch, T, input_size) with batch_first, (T, input_size) unbatched)
        hx, h_n: (num_layers * D, batch, H); output: (T, batch, D * H); D = 2 if bidirectional else 1
    Parameters weight_ih_l{k}[_reverse] (H, in), weight_hh_l{k}[_reverse] (H, H), bias_ih_l{k}[_reverse],
    bias_hh_l{k}[_reverse] (H,). Layout, lengths and dropout as in RecurrentBase.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, impl=None, device=None, dtype=None):
        super().__init__(input_size, hidden_size, num_layers=num_layers, bias=bias, batch_first=batch_first,
                         dropout=dropout, bidirectional=bidirectional, impl=impl, device=device, dtype=dtype)
        self.nonlinearity = check_nonlinearity("RNN", nonlinearity)

    def extra_repr(self):
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity}")

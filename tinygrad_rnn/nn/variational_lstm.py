"""LSTM with variational (recurrent) dropout (Gal & Ghahramani 2016, "A Theoretically Grounded
Application of Dropout in Recurrent Neural Networks").

Ordinary dropout draws a new mask at every step, and on the recurrent connection
that noise compounds over time and drowns the memory. Variational dropout draws
one mask per sequence (per batch item) and reuses it at every step, on the input
and on the hidden state that feeds the gates:

    m_x ~ Bernoulli(1 - p_x) / (1 - p_x)      (batch, input_size)   drawn once per sequence
    m_h ~ Bernoulli(1 - p_h) / (1 - p_h)      (batch, H)            drawn once per sequence

    [a_i, a_f, a_g, a_o] = (x_t * m_x) W_ih^T + b_ih + (h_{t-1} * m_h) W_hh^T + b_hh   (batch, 4H)
    i = sigmoid(a_i),  f = sigmoid(a_f),  g = tanh(a_g),  o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)                                    (batch, H)

p_x = input_dropout, p_h = recurrent_dropout; layer k > 0 reads layer k-1's h_t as
its x_t, with masks of its own. The dropped h feeds only the gates: h_t itself is
passed on (to the output and the next step) whole, and c_t is never masked. In
eval mode, or with both probabilities 0, this is exactly nn.LSTM, with the same
parameter names, so a state_dict moves between the two (and PyTorch's nn.LSTM)
unchanged. PyTorch's fused LSTM cannot reuse a mask across steps, which is why
this is its own module, written from tensor ops step by step.
"""

from ..autograd import symbol
from ..creation import ones
from ..errors import OpError
from ..functions import split
from .dropout import dropout
from .linear import uniform_parameter
from .lstm_states import initial_states, run_layers
from .module import Module
from .recurrent_base import init_bound
from .sequence_checks import check_tensor, step_masks, time_major_sequence


def variational_lstm_step(x, h, c, w, masks):
    """One step: (x_t, h_{t-1}, c_{t-1}) -> (h_t, c_t).

    w = (W_ih^T, W_hh^T, b_ih, b_hh), the weights transposed once per sequence (biases None
    without bias); masks = (m_x, m_h), either None for no dropout there."""
    weight_ih_t, weight_hh_t, bias_ih, bias_hh = w
    m_x, m_h = masks
    x = x if m_x is None else symbol(x * m_x, "x_t * m_x")
    h_in = h if m_h is None else symbol(h * m_h, "h_{t-1} * m_h")
    gates = symbol(x @ weight_ih_t, "x_t W_ih^T") + symbol(h_in @ weight_hh_t, "h_{t-1} W_hh^T")
    if bias_ih is not None:
        gates = gates + bias_ih + bias_hh
    symbol(gates, "[a_i, a_f, a_g, a_o]")
    a_i, a_f, a_g, a_o = split(gates, h.shape[-1], axis=1)
    i, f = symbol(a_i.sigmoid(), "i"), symbol(a_f.sigmoid(), "f")
    g, o = symbol(a_g.tanh(), "g"), symbol(a_o.sigmoid(), "o")
    c = symbol(symbol(f * c, "f * c_{t-1}") + symbol(i * g, "i * g"), "c_t")
    return symbol(o * symbol(c.tanh(), "tanh(c_t)"), "h_t"), c


def _check_probability(where_, name, p):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
        raise OpError(f"{where_}: {name} must be a probability in [0, 1), got {p!r}")
    return float(p)


class VariationalLSTM(Module):
    """LSTM layers with one dropout mask per sequence on x_t and on h_{t-1} (module docstring).

    VariationalLSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                    input_dropout=0.0, recurrent_dropout=0.0)
    forward(x, hx=None, lengths=None, masks=None, return_cell_states=False)
        -> (output, (h_n, c_n)), or (output, (h_n, c_n), cell_states) with return_cell_states
        x: (T, batch, input_size) ((batch, T, input_size) with batch_first)
        hx: (h_0, c_0), each (num_layers, batch, H); zeros when None
        output, cell_states: (T, batch, H), the last layer's h_t and c_t; h_n, c_n: (num_layers, batch, H)
        lengths: one int per batch item; padded steps keep the state and give zeros in output
        masks: per layer (m_x, m_h) as sample_masks returns them, to fix the noise (a test, or the
            same masks for several forwards); None draws new ones while training and uses none in eval
    Parameters weight_ih_l{k} (4H, in), weight_hh_l{k} (4H, H), bias_ih_l{k}, bias_hh_l{k} (4H,): nn.LSTM's.
    Each step is recorded under "VariationalLSTM layer {k} forward" / "t={t}"; a layer's masks are
    drawn once in it, each with an edge into every step, which is the point of the method.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 input_dropout=0.0, recurrent_dropout=0.0):
        super().__init__()
        where_ = type(self).__name__
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise OpError(f"{where_}: {name} must be an int >= 1, got {value!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.input_dropout = _check_probability(where_, "input_dropout", input_dropout)
        self.recurrent_dropout = _check_probability(where_, "recurrent_dropout", recurrent_dropout)
        rows, bound = 4 * hidden_size, init_bound(hidden_size)
        for k in range(num_layers):  # nn.LSTM's parameters, drawn in its order
            size = input_size if k == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{k}", uniform_parameter((rows, size), bound))
            self.register_parameter(f"weight_hh_l{k}", uniform_parameter((rows, hidden_size), bound))
            self.register_parameter(f"bias_ih_l{k}", uniform_parameter((rows,), bound) if bias else None)
            self.register_parameter(f"bias_hh_l{k}", uniform_parameter((rows,), bound) if bias else None)

    def sample_masks(self, batch, like):
        """Fresh masks for one forward: per layer (m_x (batch, in_k), m_h (batch, H)), each None where
        its probability is 0; `like` gives the dtype and device (the input)."""
        masks = []
        for k in range(self.num_layers):
            size = self.input_size if k == 0 else self.hidden_size
            pair = []
            for name, width, p in (("m_x", size, self.input_dropout), ("m_h", self.hidden_size,
                                                                        self.recurrent_dropout)):
                if p == 0.0:
                    pair.append(None)
                    continue
                mask = dropout(ones(batch, width, dtype=like.dtype, device=like.device), p, training=True)
                mask.name = name
                pair.append(mask)
            masks.append(tuple(pair))
        return masks

    def forward(self, x, hx=None, lengths=None, masks=None, return_cell_states=False):
        where_ = type(self).__name__
        x, steps, batch, lengths = time_major_sequence(where_, x, self.input_size, self.batch_first,
                                                       self.weight_ih_l0, lengths)
        if masks is None:
            masks = self.sample_masks(batch, x) if self.training else [(None, None)] * self.num_layers
        masks = self._check_masks(where_, masks, batch, x)
        padding = step_masks(lengths, steps, x)
        starts = initial_states(where_, hx, self.num_layers, self.hidden_size, x)

        def layer_step(k):
            weight_ih, weight_hh, bias_ih, bias_hh = (getattr(self, f"{name}_l{k}") for name in
                                                      ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
            w = (symbol(weight_ih.T, "W_ih^T"), symbol(weight_hh.T, "W_hh^T"), bias_ih, bias_hh)
            return lambda x_t, h, c: variational_lstm_step(x_t, h, c, w, masks[k])

        return run_layers(where_, x, starts, layer_step, self.num_layers, padding, self.batch_first,
                          return_cell_states)

    def _check_masks(self, where_, masks, batch, x):
        if not isinstance(masks, (list, tuple)) or len(masks) != self.num_layers:
            raise OpError(f"{where_}: masks must be a list of {self.num_layers} (m_x, m_h) pairs, one per layer "
                          f"(as sample_masks returns), got {type(masks).__name__}"
                          + (f" of length {len(masks)}" if isinstance(masks, (list, tuple)) else ""))
        for k, pair in enumerate(masks):
            size = self.input_size if k == 0 else self.hidden_size
            for name, mask, width in zip(("m_x", "m_h"), pair, (size, self.hidden_size)):
                if mask is None:
                    continue
                check_tensor(where_, f"layer {k}'s {name}", mask)
                if tuple(mask.shape) != (batch, width) or mask.dtype != x.dtype or mask.device != x.device:
                    raise OpError(f"{where_}: layer {k}'s {name} must be a {x.dtype} Tensor of shape "
                                  f"{(batch, width)} on {x.device} (batch, {'input' if name == 'm_x' else 'hidden'}"
                                  f" size), got {mask.dtype} of shape {tuple(mask.shape)} on {mask.device}")
        return [tuple(pair) for pair in masks]

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, bias={self.bias}, "
                f"batch_first={self.batch_first}, input_dropout={self.input_dropout}, "
                f"recurrent_dropout={self.recurrent_dropout}")

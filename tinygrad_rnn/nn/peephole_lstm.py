"""Peephole LSTM (Gers & Schmidhuber, 2000): the gates also look at the cell.

The input and forget gates see the previous cell state c_{t-1}, the output
gate sees the new one c_t, each through a diagonal (elementwise) weight:

    [a_i, a_f, a_g, a_o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh       (batch, 4H), split in H columns
    i_t = sigmoid(a_i + w_ci * c_{t-1})                                     (batch, H)
    f_t = sigmoid(a_f + w_cf * c_{t-1})
    g_t = tanh(a_g)
    c_t = f_t * c_{t-1} + i_t * g_t
    o_t = sigmoid(a_o + w_co * c_t)
    h_t = o_t * tanh(c_t)

    x_t: (batch, input_size), h, c: (batch, H), W_ih: (4H, input_size), W_hh: (4H, H),
    b_ih, b_hh: (4H,), w_ci, w_cf, w_co: (H,)

Gate order i, f, g, o and the names weight_ih, weight_hh, bias_ih, bias_hh are
PyTorch's LSTM ones, so with the peephole weights at zero this is exactly
nn.LSTMCell. Every parameter, peepholes included, starts from
U(-1/sqrt(H), 1/sqrt(H)). As for nn.LSTM there are two implementations with the
same numbers: impl="composite" builds each step from matmul, add, mul, split,
sigmoid and tanh (`peephole_lstm_step`), so its backward is the engine's; impl="fused"
(the default, see nn.set_recurrent_impl) runs a layer as one PeepholeLSTMBPTT op of
tinygrad_rnn/bptt/peephole_lstm.py, whose backward is written by hand.
"""

import math

from .. import autograd
from ..bptt import PeepholeLSTMBPTT
from ..errors import OpError
from ..functions import split, stack, where
from .linear import uniform_parameter
from .module import Module
from .recurrent_base import check_impl, get_recurrent_impl
from .sequence_checks import check_dtype, check_lengths, initial_state, step_masks


def peephole_lstm_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh, weight_ci, weight_cf, weight_co):
    """One step of the equations above: (x_t, h_{t-1}, c_{t-1}) -> (h_t, c_t)."""
    gates = x @ weight_ih.T + h @ weight_hh.T
    if bias_ih is not None:
        gates = gates + bias_ih + bias_hh
    a_i, a_f, a_g, a_o = split(gates, gates.shape[1] // 4, axis=1)
    i = (a_i + weight_ci * c).sigmoid()
    f = (a_f + weight_cf * c).sigmoid()
    g = a_g.tanh()
    c = f * c + i * g
    o = (a_o + weight_co * c).sigmoid()
    return o * c.tanh(), c


def _parameters(input_size, hidden_size, bias):
    """name -> Parameter for one layer (PyTorch's LSTM shapes plus three peephole vectors)."""
    bound = 1 / math.sqrt(hidden_size)
    params = {
        "weight_ih": uniform_parameter((4 * hidden_size, input_size), bound),
        "weight_hh": uniform_parameter((4 * hidden_size, hidden_size), bound),
        "bias_ih": uniform_parameter((4 * hidden_size,), bound) if bias else None,
        "bias_hh": uniform_parameter((4 * hidden_size,), bound) if bias else None,
    }
    for gate in ("ci", "cf", "co"):
        params[f"weight_{gate}"] = uniform_parameter((hidden_size,), bound)
    return params


_ORDER = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ci", "weight_cf", "weight_co")


def _check_input(where_, x, input_size, ndim, weight):
    if x.ndim != ndim or x.shape[-1] != input_size:
        layout = "(batch, input_size)" if ndim == 2 else "(T, batch, input_size) or (batch, T, input_size)"
        raise OpError(f"{where_}: expected input of shape {layout} with input_size={input_size}, "
                      f"got {tuple(x.shape)}")
    check_dtype(where_, x, weight)


def _fused(x, h, c, params, masks=None):
    """The whole sequence x (T, batch, in) as one PeepholeLSTMBPTT node -> (output, h_n, c_n)."""
    weight_ih, weight_hh, bias_ih, bias_hh, weight_ci, weight_cf, weight_co = params
    biases = () if bias_ih is None else (bias_ih, bias_hh)
    return PeepholeLSTMBPTT.apply(x, h, c, weight_ih, weight_hh, weight_ci, weight_cf, weight_co, *biases,
                                  masks=masks)


class PeepholeLSTMCell(Module):
    """One peephole LSTM step: forward(x (batch, input), hx=(h, c) or None) -> (h, c), each (batch, H).
    impl: "fused", "composite" or None (the global default, see nn.set_recurrent_impl)."""

    def __init__(self, input_size, hidden_size, bias=True, impl=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.impl = None if impl is None else check_impl(impl, type(self).__name__)
        for name, p in _parameters(input_size, hidden_size, bias).items():
            self.register_parameter(name, p)

    def forward(self, x, hx=None):
        where_ = type(self).__name__
        _check_input(where_, x, self.input_size, 2, self.weight_ih)
        shape = (x.shape[0], self.hidden_size)
        h, c = (None, None) if hx is None else hx
        h, c = initial_state(where_, "h", h, shape, x), initial_state(where_, "c", c, shape, x)
        params = [getattr(self, n) for n in _ORDER]
        if (self.impl or get_recurrent_impl()) == "fused":  # the layer's op over a sequence of one step
            _, h, c = _fused(x.reshape(1, *shape[:1], self.input_size), h, c, params)
            return h, c
        return peephole_lstm_step(x, h, c, *params)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}, impl={self.impl}"


class PeepholeLSTM(Module):
    """Peephole LSTM over a sequence, layers stacked as in nn.LSTM.

    forward(x, hx=None, lengths=None) -> (output, (h_n, c_n))
        x: (T, batch, input_size) ((batch, T, input_size) with batch_first)
        hx: (h_0, c_0), each (num_layers, batch, H); zeros when None
        output: (T, batch, H), the last layer's h_t; h_n, c_n: (num_layers, batch, H)
        lengths: one int per batch item; padded steps keep the state and give zeros in output

    Parameters per layer k: weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (as nn.LSTM)
    and weight_ci_l{k}, weight_cf_l{k}, weight_co_l{k} (H,). Layer k is recorded under the scope
    "PeepholeLSTM layer {k} forward": as one node (impl="fused"), or each step under "t={t}" inside
    it (impl="composite"); impl=None follows nn.set_recurrent_impl.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, impl=None):
        super().__init__()
        if num_layers < 1:
            raise OpError(f"PeepholeLSTM: num_layers must be at least 1, got {num_layers}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.impl = None if impl is None else check_impl(impl, type(self).__name__)
        for k in range(num_layers):
            params = _parameters(input_size if k == 0 else hidden_size, hidden_size, bias)
            for name, p in params.items():
                self.register_parameter(f"{name}_l{k}", p)

    def layer_parameters(self, k):
        return [getattr(self, f"{name}_l{k}") for name in _ORDER]

    def forward(self, x, hx=None, lengths=None):
        where_ = type(self).__name__
        _check_input(where_, x, self.input_size, 3, self.weight_ih_l0)
        if self.batch_first:
            x = x.transpose(0, 1)
        steps, batch = x.shape[0], x.shape[1]
        masks = step_masks(check_lengths(lengths, batch, steps, where_), steps, x)
        shape = (self.num_layers, batch, self.hidden_size)
        h0, c0 = (None, None) if hx is None else hx
        h0, c0 = initial_state(where_, "h_0", h0, shape, x), initial_state(where_, "c_0", c0, shape, x)
        fused = (self.impl or get_recurrent_impl()) == "fused"
        h_n, c_n = [], []
        for k in range(self.num_layers):
            with autograd.scope(f"{where_} layer {k} forward"):
                if fused:
                    x, h, c = _fused(x, h0[k], c0[k], self.layer_parameters(k), masks)
                else:
                    x, h, c = self._composite_layer(x, h0[k], c0[k], self.layer_parameters(k), masks)
            h_n.append(h)
            c_n.append(c)
        output = x.transpose(0, 1) if self.batch_first else x
        return output, (stack(h_n, axis=0), stack(c_n, axis=0))

    @staticmethod
    def _composite_layer(x, h, c, params, masks):
        """One layer step by step from primitive ops, each step under "t={t}" -> (output, h_n, c_n)."""
        outputs = []
        for t in autograd.step_scopes(range(x.shape[0])):
            h_new, c_new = peephole_lstm_step(x[t], h, c, *params)
            real = None if masks is None else masks.real[t]
            h, c = (h_new, c_new) if real is None else (where(real, h_new, h), where(real, c_new, c))
            outputs.append(h_new)
        output = stack(outputs, axis=0)
        return (output if masks is None else where(masks.output, output, 0.0)), h, c

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, bias={self.bias}, "
                f"batch_first={self.batch_first}, impl={self.impl}")

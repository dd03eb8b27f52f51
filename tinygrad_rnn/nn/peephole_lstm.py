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
U(-1/sqrt(H), 1/sqrt(H)). Each step is built from matmul, add, mul, split,
sigmoid and tanh, so its backward is the engine's.
"""

import math

from .. import autograd
from ..creation import zeros
from ..errors import OpError
from ..functions import split, stack, where
from .linear import uniform_parameter
from .module import Module
from .sequence_checks import check_dtype, check_lengths, step_mask


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


def _check_input(where, x, input_size, ndim, weight):
    if x.ndim != ndim or x.shape[-1] != input_size:
        layout = "(batch, input_size)" if ndim == 2 else "(T, batch, input_size) or (batch, T, input_size)"
        raise OpError(f"{where}: expected input of shape {layout} with input_size={input_size}, "
                      f"got {tuple(x.shape)}")
    check_dtype(where, x, weight)


def _check_state(where, name, state, shape):
    if tuple(state.shape) != tuple(shape):
        raise OpError(f"{where}: {name} must have shape {tuple(shape)}, got {tuple(state.shape)}")


class PeepholeLSTMCell(Module):
    """One peephole LSTM step: forward(x (batch, input), hx=(h, c) or None) -> (h, c), each (batch, H)."""

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        for name, p in _parameters(input_size, hidden_size, bias).items():
            self.register_parameter(name, p)

    def forward(self, x, hx=None):
        _check_input("PeepholeLSTMCell", x, self.input_size, 2, self.weight_ih)
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            hx = (zeros(shape, dtype=x.dtype, device=x.device),) * 2
        for name, state in zip(("h", "c"), hx):
            _check_state("PeepholeLSTMCell", name, state, shape)
        return peephole_lstm_step(x, *hx, *(getattr(self, n) for n in _ORDER))

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"


class PeepholeLSTM(Module):
    """Peephole LSTM over a sequence, layers stacked as in nn.LSTM.

    forward(x, hx=None, lengths=None) -> (output, (h_n, c_n))
        x: (T, batch, input_size) ((batch, T, input_size) with batch_first)
        hx: (h_0, c_0), each (num_layers, batch, H); zeros when None
        output: (T, batch, H), the last layer's h_t; h_n, c_n: (num_layers, batch, H)
        lengths: one int per batch item; padded steps keep the state and give zeros in output

    Parameters per layer k: weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (as nn.LSTM)
    and weight_ci_l{k}, weight_cf_l{k}, weight_co_l{k} (H,). Each step is recorded under the
    scopes "PeepholeLSTM layer {k} forward" / "t={t}".
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False):
        super().__init__()
        if num_layers < 1:
            raise OpError(f"PeepholeLSTM: num_layers must be at least 1, got {num_layers}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
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
        lengths = check_lengths(lengths, batch, steps, where_)
        shape = (self.num_layers, batch, self.hidden_size)
        if hx is None:
            hx = (zeros(shape, dtype=x.dtype, device=x.device),) * 2
        for name, state in zip(("h_0", "c_0"), hx):
            _check_state(where_, name, state, shape)
        h_n, c_n = [], []
        for k in range(self.num_layers):
            params = self.layer_parameters(k)
            h, c = hx[0][k], hx[1][k]
            outputs = []
            with autograd.scope(f"{where_} layer {k} forward"):
                for t in autograd.step_scopes(range(steps)):
                    h_new, c_new = peephole_lstm_step(x[t], h, c, *params)
                    if lengths is None:
                        h, c = h_new, c_new
                        outputs.append(h)
                    else:
                        valid = step_mask(lengths, t, x)
                        h, c = where(valid, h_new, h), where(valid, c_new, c)
                        outputs.append(where(valid, h_new, 0.0))
            x = stack(outputs, axis=0)
            h_n.append(h)
            c_n.append(c)
        output = x.transpose(0, 1) if self.batch_first else x
        return output, (stack(h_n, axis=0), stack(c_n, axis=0))

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, bias={self.bias}, "
                f"batch_first={self.batch_first}")

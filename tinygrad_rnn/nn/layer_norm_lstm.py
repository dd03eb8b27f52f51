"""Layer-normalised LSTM (Ba, Kiros & Hinton 2016, "Layer Normalization", their LSTM equations).

The two matrix products that feed the gates are each normalised over their 4H
features, and the cell state is normalised where it enters the output's tanh:

    LN(a; w, b) = (a - mean(a)) / sqrt(var(a) + eps) * w + b      mean and (biased) var over the last axis

    [a_i, a_f, a_g, a_o] = LN(x_t W_ih^T; w_ih, b_ih) + LN(h_{t-1} W_hh^T; w_hh, b_hh) + bias   (batch, 4H)
    i = sigmoid(a_i),  f = sigmoid(a_f),  g = tanh(a_g),  o = sigmoid(a_o)                   (batch, H) each
    c_t = f * c_{t-1} + i * g                                                                (batch, H)
    h_t = o * tanh(LN(c_t; w_c, b_c))                                                        (batch, H)

    x_t: (batch, input_size), W_ih: (4H, input_size), W_hh: (4H, H), bias: (4H,),
    w_ih, b_ih, w_hh, b_hh: (4H,), w_c, b_c: (H,)

c_t itself is carried unnormalised, as in the paper; only what h_t sees of it is.
Normalising each product on its own keeps the input's and the recurrence's
contributions on one scale whatever the sizes of x and h, which is why training
is less sensitive to initialisation and learning rate. PyTorch's LSTM is one
fused kernel, so this needs its own module; here it is the equations above in
tensor ops (mean, sqrt, divide), so autograd differentiates the normalisation
too and the drawing shows every step. Gate order i, f, g, o is nn.LSTM's; the
weights start from U(-1/sqrt(H), 1/sqrt(H)) as nn.LSTM's, the gains w at 1 and
the shifts b at 0 as nn.LayerNorm's.
"""

from .. import backend
from ..autograd import symbol
from ..backend import np
from ..errors import OpError
from ..functions import split
from ..tensor import Tensor
from .linear import uniform_parameter
from .lstm_states import initial_states, run_layers
from .module import Module
from .parameter import Parameter
from .recurrent_base import init_bound
from .sequence_checks import check_dtype, initial_state, step_masks, time_major_sequence

_NAMES = ("weight_ih", "weight_hh", "bias", "ln_ih_weight", "ln_ih_bias", "ln_hh_weight", "ln_hh_bias",
          "ln_c_weight", "ln_c_bias")


def layer_norm(a, weight, bias, eps):
    """LN(a; w, b) over the last axis: (a - mean) / sqrt(var + eps) * w + b, var the biased variance."""
    centred = a - a.mean(dim=-1, keepdim=True)
    var = (centred * centred).mean(dim=-1, keepdim=True)
    return centred / (var + eps).sqrt() * weight + bias


def layer_norm_lstm_step(x, h, c, p, eps):
    """One step of the equations above: (x_t, h_{t-1}, c_{t-1}) -> (h_t, c_t).

    p: name -> Tensor as in _NAMES, with "weight_ih_t" and "weight_hh_t" the transposed
    weights (taken once per sequence, so a drawing shows W^T once, entering every step)."""
    hidden = h.shape[-1]
    from_x = layer_norm(symbol(x @ p["weight_ih_t"], "x_t W_ih^T"), p["ln_ih_weight"], p["ln_ih_bias"], eps)
    from_h = layer_norm(symbol(h @ p["weight_hh_t"], "h_{t-1} W_hh^T"), p["ln_hh_weight"], p["ln_hh_bias"], eps)
    gates = symbol(from_x, "LN(x_t W_ih^T)") + symbol(from_h, "LN(h_{t-1} W_hh^T)")
    if p["bias"] is not None:
        gates = gates + p["bias"]
    symbol(gates, "[a_i, a_f, a_g, a_o]")
    a_i, a_f, a_g, a_o = split(gates, hidden, axis=1)
    i, f = symbol(a_i.sigmoid(), "i"), symbol(a_f.sigmoid(), "f")
    g, o = symbol(a_g.tanh(), "g"), symbol(a_o.sigmoid(), "o")
    c = symbol(symbol(f * c, "f * c_{t-1}") + symbol(i * g, "i * g"), "c_t")
    normed = symbol(layer_norm(c, p["ln_c_weight"], p["ln_c_bias"], eps), "LN(c_t)")
    return symbol(o * symbol(normed.tanh(), "tanh(LN(c_t))"), "h_t"), c


def _parameters(input_size, hidden_size, bias):
    """name -> Parameter for one layer, in _NAMES order."""
    bound, gates = init_bound(hidden_size), 4 * hidden_size
    return {
        "weight_ih": uniform_parameter((gates, input_size), bound),
        "weight_hh": uniform_parameter((gates, hidden_size), bound),
        "bias": uniform_parameter((gates,), bound) if bias else None,
        "ln_ih_weight": Parameter(np.ones(gates, dtype=backend.default_float())),
        "ln_ih_bias": Parameter(np.zeros(gates, dtype=backend.default_float())),
        "ln_hh_weight": Parameter(np.ones(gates, dtype=backend.default_float())),
        "ln_hh_bias": Parameter(np.zeros(gates, dtype=backend.default_float())),
        "ln_c_weight": Parameter(np.ones(hidden_size, dtype=backend.default_float())),
        "ln_c_bias": Parameter(np.zeros(hidden_size, dtype=backend.default_float())),
    }


def _check_sizes(where_, input_size, hidden_size, eps):
    for name, value, low in (("input_size", input_size, 1), ("hidden_size", hidden_size, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise OpError(f"{where_}: {name} must be an int >= {low}, got {value!r}")
    if not eps > 0:
        raise OpError(f"{where_}: eps must be a positive number, got {eps!r}")


def _with_transposes(p):
    """The step's parameters with W_ih^T and W_hh^T taken once (see layer_norm_lstm_step)."""
    p = dict(p)
    p["weight_ih_t"] = symbol(p["weight_ih"].T, "W_ih^T")
    p["weight_hh_t"] = symbol(p["weight_hh"].T, "W_hh^T")
    return p


class LayerNormLSTMCell(Module):
    """One layer-normalised LSTM step (equations in the module docstring).

    LayerNormLSTMCell(input_size, hidden_size, bias=True, eps=1e-5)
    forward(x, hx=None) -> (h', c')
        x: (batch, input_size) or (input_size,); hx = (h, c), each (batch, H) or (H,); zeros when None
    Parameters weight_ih (4H, input_size), weight_hh (4H, H), bias (4H,), ln_ih_weight, ln_ih_bias,
    ln_hh_weight, ln_hh_bias (4H,), ln_c_weight, ln_c_bias (H,).
    """

    def __init__(self, input_size, hidden_size, bias=True, eps=1e-5):
        super().__init__()
        _check_sizes(type(self).__name__, input_size, hidden_size, eps)
        self.input_size, self.hidden_size, self.bias_enabled, self.eps = input_size, hidden_size, bias, eps
        for name, param in _parameters(input_size, hidden_size, bias).items():
            self.register_parameter(name, param)

    def forward(self, x, hx=None):
        where_ = type(self).__name__
        if not isinstance(x, Tensor) or x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise OpError(f"{where_}: expected input of shape (batch, {self.input_size}) or ({self.input_size},), "
                          f"got {got}")
        check_dtype(where_, x, self.weight_ih)
        batched = x.ndim == 2
        x = x if batched else x.reshape(1, self.input_size)
        shape = (x.shape[0], self.hidden_size)
        h, c = (None, None) if hx is None else hx
        layout = "batch, hidden_size" if batched else "hidden_size"
        want = shape if batched else (self.hidden_size,)
        h, c = (initial_state(where_, name, s, want, x, layout).reshape(shape) for name, s in (("h", h), ("c", c)))
        p = _with_transposes({name: getattr(self, name) for name in _NAMES})
        h, c = layer_norm_lstm_step(x, h, c, p, self.eps)
        return (h, c) if batched else (h.reshape(self.hidden_size), c.reshape(self.hidden_size))

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias_enabled}, eps={self.eps}"


class LayerNormLSTM(Module):
    """Layer-normalised LSTM layers over a sequence, stacked as in nn.LSTM.

    LayerNormLSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, eps=1e-5)
    forward(x, hx=None, lengths=None, return_cell_states=False)
        -> (output, (h_n, c_n)), or (output, (h_n, c_n), cell_states) with return_cell_states
        x: (T, batch, input_size) ((batch, T, input_size) with batch_first)
        hx: (h_0, c_0), each (num_layers, batch, H); zeros when None
        output: (T, batch, H), the last layer's h_t; cell_states: the same layer's c_t, same layout
        h_n, c_n: (num_layers, batch, H)
        lengths: one int per batch item; padded steps keep the state and give zeros in output
            (and in cell_states)
    Parameters per layer k: the cell's names with the suffix _l{k} (weight_ih_l0, ln_c_bias_l0, ...).
    Each step is recorded under "LayerNormLSTM layer {k} forward" / "t={t}", so the drawing shows
    one cluster per step and step_gradient_norms(loss, output) works on it.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, eps=1e-5):
        super().__init__()
        where_ = type(self).__name__
        _check_sizes(where_, input_size, hidden_size, eps)
        if not isinstance(num_layers, int) or num_layers < 1:
            raise OpError(f"{where_}: num_layers must be an int >= 1, got {num_layers!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias_enabled, self.batch_first, self.eps = bias, batch_first, eps
        for k in range(num_layers):
            for name, param in _parameters(input_size if k == 0 else hidden_size, hidden_size, bias).items():
                self.register_parameter(f"{name}_l{k}", param)

    def layer_parameters(self, k):
        """name -> Tensor of layer k, names without the _l{k} suffix (see _NAMES)."""
        return {name: getattr(self, f"{name}_l{k}") for name in _NAMES}

    def forward(self, x, hx=None, lengths=None, return_cell_states=False):
        where_ = type(self).__name__
        x, steps, batch, lengths = time_major_sequence(where_, x, self.input_size, self.batch_first,
                                                       self.weight_ih_l0, lengths)
        masks = step_masks(lengths, steps, x)
        starts = initial_states(where_, hx, self.num_layers, self.hidden_size, x)

        def layer_step(k):
            p = _with_transposes(self.layer_parameters(k))
            return lambda x_t, h, c: layer_norm_lstm_step(x_t, h, c, p, self.eps)

        return run_layers(where_, x, starts, layer_step, self.num_layers, masks, self.batch_first,
                          return_cell_states)

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, bias={self.bias_enabled}, "
                f"batch_first={self.batch_first}, eps={self.eps}")



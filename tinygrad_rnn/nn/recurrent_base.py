"""What the recurrent cells and layers share, written once for RNN, LSTM and GRU.

A family supplies its maths as three methods, everything else lives here:

    step(x_t, state, w)            the cell from primitive ops (matmul, add, sigmoid,
                                   tanh, mul, split) -> new state
    project(x, w)                  gates_x = x W_ih^T + biases, for every step at once
                                   (one InputProjection op), gate-major (G, T*batch, H)
    fused_step(gates_x_t, state, recurrent, t, w)
                                   the family's fused step op from tinygrad_rnn/ops on the
                                   step's (G, batch, H) piece: the products with W_hh^T and
                                   the cell's pointwise maths, one node -> new state

    w = (weight_ih, weight_hh, bias_ih, bias_hh), biases None when bias=False
    state = (h,) or, for the LSTM, (h, c); each (batch, H)

Two implementations, one set of numbers: impl="composite" runs `step` at
every time step, the graph a reader follows; impl="fused" makes one matmul per
gate for the input projections of all steps, then per step one fused op (the
recurrent matmul and the cell, with a hand-written backward). impl=None follows the global default,
`set_recurrent_impl("fused" | "composite")`. The fast path also takes W_hh's
gradient for all steps in one matmul per gate: `recurrent` is a RecurrentWeight
(tinygrad_rnn/ops/recurrent_weight.py) that records what each step read.

The layer driver records each step under the scopes
"{Module} layer {k} {forward|reverse}" / "t={t}", which the graph drawing groups.
"""

import math

from .. import backend
from ..autograd import scope, step_scopes
from ..creation import zeros
from ..errors import OpError
from ..functions import concat, split, stack, where
from ..ops.recurrent_weight import RecurrentWeight, StepOutputs
from ..tensor import Tensor
from .dropout import dropout
from .linear import uniform_parameter
from .module import Module
from .sequence_checks import check_dtype, check_lengths

IMPLS = ("fused", "composite")
_default_impl = "fused"


def set_recurrent_impl(impl):
    """Choose the implementation that layers and cells built with impl=None use."""
    global _default_impl
    _default_impl = check_impl(impl, "set_recurrent_impl")


def get_recurrent_impl():
    return _default_impl


def check_impl(impl, where):
    if impl not in IMPLS:
        raise OpError(f"{where}: impl must be one of {IMPLS} (or None for the global default), got {impl!r}")
    return impl


def init_bound(hidden_size):
    """PyTorch draws every recurrent weight and bias from U(-1/sqrt(H), 1/sqrt(H))."""
    return 1 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0


def _check_size(where, name, value, minimum=1):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise OpError(f"{where}: {name} must be an int >= {minimum}, got {value!r}")


def _check_tensor(where, name, x):
    if not isinstance(x, Tensor):
        raise OpError(f"{where}: {name} must be a Tensor, got {type(x).__name__}")


def _check_state_dtype(where, name, state, x):
    if state.dtype != x.dtype:
        raise OpError(f"{where}: {name} has dtype {state.dtype} but the input has dtype {x.dtype}; "
                      f"they must match")
    if state.device != x.device:
        raise backend.DeviceError(f"{where}: {name} is on {state.device} but the input is on {x.device}; "
                                  "move it with .to(device)")


class _RecurrentMixin:
    """Parameters of one cell (one layer and direction) as PyTorch lays them out."""

    gate_count = 1          # gates stacked in the rows of weight_ih and weight_hh
    state_count = 1         # 1: state is (h,); 2: state is (h, c)
    keeps_hidden_bias = False  # the fast path folds b_hh into the input projection (not the GRU)

    def _make_cell_parameters(self, suffix, input_size, bias):
        rows, bound = self.gate_count * self.hidden_size, init_bound(self.hidden_size)
        # the order of these draws is PyTorch's parameter order
        self.register_parameter(f"weight_ih{suffix}", uniform_parameter((rows, input_size), bound))
        self.register_parameter(f"weight_hh{suffix}", uniform_parameter((rows, self.hidden_size), bound))
        self.register_parameter(f"bias_ih{suffix}", uniform_parameter((rows,), bound) if bias else None)
        self.register_parameter(f"bias_hh{suffix}", uniform_parameter((rows,), bound) if bias else None)

    def _cell_weights(self, suffix):
        return tuple(getattr(self, f"{name}{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def _impl(self):
        return self.impl if self.impl is not None else _default_impl

    def fused_sequence(self, x, w, batch):
        """The fast path's work before the loop, x: (T * batch, in) -> (pieces, recurrent):
        gates_x of all steps from one matmul per gate, cut into T (G, batch, H) pieces, and the
        RecurrentWeight that makes each step's gates_h and W_hh's gradient."""
        steps = x.shape[0] // batch
        recurrent = RecurrentWeight(w[1], steps, w[3] if self.keeps_hidden_bias else None)
        return recurrent.attach(self.project(x, w)), recurrent


class RecurrentCellBase(_RecurrentMixin, Module):
    """One step of a recurrent cell: forward(x, hx=None) -> h (RNN, GRU) or (h, c) (LSTM).

    x: (batch, input_size) or (input_size,) unbatched; hx as the output, zeros when None.
    Parameters weight_ih (G*H, input_size), weight_hh (G*H, H), bias_ih, bias_hh (G*H,).
    """

    def __init__(self, input_size, hidden_size, bias=True, impl=None):
        super().__init__()
        where_ = type(self).__name__
        _check_size(where_, "input_size", input_size, 0)
        _check_size(where_, "hidden_size", hidden_size, 1)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.impl = None if impl is None else check_impl(impl, where_)
        self._make_cell_parameters("", input_size, bias)

    def forward(self, x, hx=None):
        where_ = type(self).__name__
        _check_tensor(where_, "input", x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise OpError(f"{where_}: expected input of shape (batch, {self.input_size}) or ({self.input_size},), "
                          f"got {tuple(x.shape)}")
        if x.ndim == 2 and x.shape[0] == 0:
            raise OpError(f"{where_}: expected at least one batch item, got input of shape {tuple(x.shape)}")
        check_dtype(where_, x, self.weight_ih)
        batched = x.ndim == 2
        if not batched:
            x = x.reshape(1, self.input_size)
        state = self._initial_state(hx, x, batched)
        w = self._cell_weights("")
        if self._impl() == "fused":
            pieces, recurrent = self.fused_sequence(x, w, x.shape[0])
            new = self.fused_step(pieces[0], state, recurrent, 0, w)
        else:
            new = self.step(x, state, w)
        if not batched:
            new = tuple(s.reshape(self.hidden_size) for s in new)
        return new[0] if self.state_count == 1 else new

    def _initial_state(self, hx, x, batched):
        where_ = type(self).__name__
        shape = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        if hx is None:
            zero = zeros((x.shape[0], self.hidden_size), dtype=x.dtype, device=x.device)
            return (zero,) * self.state_count
        names = ("hx",) if self.state_count == 1 else ("h", "c")
        if self.state_count == 1:
            hx = (hx,)
        elif not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise OpError(f"{where_}: hx must be a tuple (h, c) of two Tensors of shape {shape}, "
                          f"got {type(hx).__name__}")
        state = []
        for name, s in zip(names, hx):
            _check_tensor(where_, name, s)
            if tuple(s.shape) != shape:
                raise OpError(f"{where_}: expected {name} of shape {shape}, got {tuple(s.shape)}")
            _check_state_dtype(where_, name, s, x)
            state.append(s if batched else s.reshape(1, self.hidden_size))
        return tuple(state)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}, impl={self.impl}"


class RecurrentBase(_RecurrentMixin, Module):
    """Layers of cells over a sequence, stacked and optionally bidirectional.

    forward(x, hx=None, lengths=None) -> (output, h_n), or (output, (h_n, c_n)) for the LSTM
        x: (T, batch, input_size), (batch, T, input_size) with batch_first, or (T, input_size) unbatched
        hx: (num_layers * D, batch, H) (a pair of them for the LSTM), zeros when None; D = 2 if bidirectional
        lengths: one int per batch item (any order); step t of sequence b is real when t < lengths[b].
            Padded steps neither change the state nor produce output (zeros there), so h_n is each
            sequence's state at its own last step, as PyTorch gives for a packed sequence.
        output: (T, batch, D * H) (batch first with batch_first), the last layer's h_t; a bidirectional
            layer's output is [forward h_t, reverse h_t] on the last axis
        h_n: (num_layers * D, batch, H), row k * D + d for layer k, direction d (0 forward, 1 reverse)

    Layer k > 0 reads the previous layer's output, through dropout(p=dropout) while training.
    Parameters weight_ih_l{k}[_reverse] (G*H, in), weight_hh_l{k}[_reverse] (G*H, H),
    bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] (G*H,), in PyTorch's names and order.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, impl=None):
        super().__init__()
        where_ = type(self).__name__
        _check_size(where_, "input_size", input_size, 0)
        _check_size(where_, "hidden_size", hidden_size, 1)
        _check_size(where_, "num_layers", num_layers, 1)
        if not (isinstance(dropout, (int, float)) and 0 <= dropout <= 1):
            raise OpError(f"{where_}: dropout must be a probability in [0, 1], got {dropout!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bool(bidirectional)
        self.impl = None if impl is None else check_impl(impl, where_)
        directions = 2 if self.bidirectional else 1
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                self._make_cell_parameters(self._suffix(layer, direction), layer_input, bias)

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    @staticmethod
    def _suffix(layer, direction):
        return f"_l{layer}" + ("_reverse" if direction else "")

    def layer_weights(self, layer, direction=0):
        """(weight_ih, weight_hh, bias_ih, bias_hh) of one layer and direction (biases None without bias)."""
        return self._cell_weights(self._suffix(layer, direction))

    def forward(self, x, hx=None, lengths=None):
        where_ = type(self).__name__
        _check_tensor(where_, "input", x)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            layout = "(batch, T, {0})" if self.batch_first else "(T, batch, {0})"
            raise OpError(f"{where_}: expected input of shape {layout.format(self.input_size)} or "
                          f"(T, {self.input_size}) unbatched, got {tuple(x.shape)}")
        check_dtype(where_, x, self.weight_ih_l0)
        batched = x.ndim == 3
        if not batched:
            x = x.reshape(x.shape[0], 1, self.input_size)
        elif self.batch_first:
            x = x.transpose(0, 1)
        steps, batch = x.shape[0], x.shape[1]
        if steps == 0 or batch == 0:
            raise OpError(f"{where_}: expected at least one time step and one batch item, got input of shape "
                          f"{tuple(x.shape)} (time-major)")
        lengths = check_lengths(lengths, batch, steps, where_)
        masks = _step_masks(lengths, steps, x)
        states = self._initial_states(hx, x, batched)
        impl = self._impl()
        directions = self.num_directions
        finals, layer_input = [], x
        for layer in range(self.num_layers):
            # every step reads a (batch, in) row block of the (T * batch, in) input
            flat = layer_input.reshape(steps * batch, layer_input.shape[-1])
            pieces = split(flat, batch, axis=0) if impl == "composite" else None
            outputs = []
            for direction in range(directions):
                name = f"{where_} layer {layer} {'reverse' if direction else 'forward'}"
                with scope(name):
                    out, final = self._run_direction(impl, flat, pieces, states[layer * directions + direction],
                                                     self.layer_weights(layer, direction), direction == 1, masks)
                outputs.append(out)
                finals.append(final)
            layer_input = outputs[0] if directions == 1 else concat(outputs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = dropout(layer_input, self.dropout, training=True)
        output = layer_input
        last = tuple(stack([f[i] for f in finals], axis=0) for i in range(self.state_count))
        if not batched:
            output = output.reshape(steps, output.shape[-1])
            last = tuple(s.reshape(s.shape[0], self.hidden_size) for s in last)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, (last[0] if self.state_count == 1 else last)

    def _run_direction(self, impl, flat, pieces, state, w, reverse, masks):
        """One layer, one direction over all steps -> (output (T, batch, H), final state)."""
        batch = state[0].shape[0]
        steps = flat.shape[0] // batch
        fused = impl == "fused"
        if fused:
            pieces, recurrent = self.fused_sequence(flat, w, batch)
        # steps past the longest sequence leave the state alone and output zeros: skip them
        active = steps if masks is None else masks.active_steps
        outputs = [None] * steps
        for t in step_scopes(range(active - 1, -1, -1) if reverse else range(active)):
            new = self.fused_step(pieces[t], state, recurrent, t, w) if fused else self.step(pieces[t], state, w)
            mask = None if masks is None else masks.partial[t]
            if mask is None:
                state = new
                outputs[t] = new[0]
            else:
                state = tuple(where(mask, n, s) for n, s in zip(new, state))
                outputs[t] = where(mask, new[0], 0.0)
        if active < steps:
            zero = zeros(state[0].shape, dtype=state[0].dtype, device=state[0].device)
            outputs[active:] = [zero] * (steps - active)
        if fused:  # the fused steps wrote h_t into the rows of one (T, B, H) array already
            return StepOutputs.apply(*outputs, record=recurrent), state
        return stack(outputs, axis=0), state

    def _initial_states(self, hx, x, batched):
        """hx -> one state tuple per (layer, direction), each of (batch, H) Tensors."""
        where_ = type(self).__name__
        count, batch = self.num_layers * self.num_directions, x.shape[1]
        if hx is None:
            zero = zeros((batch, self.hidden_size), dtype=x.dtype, device=x.device)
            return [(zero,) * self.state_count] * count
        shape = (count, batch, self.hidden_size) if batched else (count, self.hidden_size)
        names = ("hx",) if self.state_count == 1 else ("h_0", "c_0")
        if self.state_count == 1:
            hx = (hx,)
        elif not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise OpError(f"{where_}: hx must be a tuple (h_0, c_0) of two Tensors of shape {shape}, "
                          f"got {type(hx).__name__}")
        per_state = []
        for name, s in zip(names, hx):
            _check_tensor(where_, name, s)
            if tuple(s.shape) != shape:
                raise OpError(f"{where_}: expected {name} of shape {shape} (num_layers * num_directions, "
                              f"{'batch, ' if batched else ''}hidden_size), got {tuple(s.shape)}")
            _check_state_dtype(where_, name, s, x)
            per_state.append([p.reshape(batch, self.hidden_size) for p in split(s, 1, axis=0)])
        return list(zip(*per_state))

    def extra_repr(self):
        extra = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            extra += f", num_layers={self.num_layers}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False),
                              ("impl", None)):
            if getattr(self, name) != default:
                extra += f", {name}={getattr(self, name)}"
        return extra


class _StepMasks:
    """Which batch items are real at each step, from lengths.

    active_steps: max(lengths); later steps are padding for everyone.
    partial[t]: (batch, 1) boolean array when only some items are real at step t, else None.
    """

    def __init__(self, lengths, steps, like):
        self.active_steps = int(lengths.max())
        self.partial = [None] * steps
        for t in range(self.active_steps):
            real = lengths > t
            if not real.all():
                self.partial[t] = backend.as_array(real[:, None], device=like.device)


def _step_masks(lengths, steps, like):
    if lengths is None or (lengths == steps).all():
        return None
    return _StepMasks(lengths, steps, like)

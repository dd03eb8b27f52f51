"""What the recurrent cells and layers share, written once for RNN, LSTM and GRU.

A family supplies its maths as two methods, everything else lives here:

    step(x_t, state, w_t)                  the cell from primitive ops (matmul, add, sigmoid,
                                           tanh, mul, split) -> new state
    bptt(x, state, w, reverse, masks)      the whole sequence of one layer and direction as
                                           one op of tinygrad_rnn/bptt -> (output, final state)

    w = (weight_ih, weight_hh, bias_ih, bias_hh), biases None when bias=False
    w_t = (W_ih^T, W_hh^T, bias_ih, bias_hh): the weights transposed once per sequence
        (`transposed(w)`), so the drawing shows each W^T once, entering every step
    state = (h,) or, for the LSTM, (h, c); each (batch, H)

Two implementations, one set of numbers: impl="composite" runs `step` at every
time step, each step's ops recorded under the scopes "{Module} layer {k}
{forward|reverse}" / "t={t}", so autograd does BPTT over the unrolled graph and
the drawing shows every step; impl="fused" makes the layer direction one node
whose forward and backward loops over time are written by hand (BPTT by hand,
tinygrad_rnn/bptt), under the layer's scope. impl=None follows the global
default, `set_recurrent_impl("fused" | "composite")`.
"""

import math

from ..autograd import scope, step_scopes, symbol
from ..creation import zeros
from ..errors import OpError
from ..functions import concat, split, stack, where
from .dropout import dropout
from .linear import uniform_parameter
from .module import Module
from .sequence_checks import check_dtype, check_lengths, check_state, check_tensor, step_masks
from .utils.rnn import PackedSequence, pack_data, pad_packed_sequence

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


def transposed(w):
    """(weight_ih, weight_hh, bias_ih, bias_hh[, weight_hr]) -> (W_ih^T, W_hh^T, bias_ih, bias_hh[, W_hr^T]),
    named for drawings."""
    weight_ih, weight_hh, bias_ih, bias_hh, *projection = w
    return (symbol(weight_ih.T, "W_ih^T"), symbol(weight_hh.T, "W_hh^T"), bias_ih, bias_hh,
            *(symbol(weight_hr.T, "W_hr^T") for weight_hr in projection))


def _check_size(where, name, value, minimum=1):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise OpError(f"{where}: {name} must be an int >= {minimum}, got {value!r}")


class _RecurrentMixin:
    """Parameters of one cell (one layer and direction) as PyTorch lays them out."""

    gate_count = 1          # gates stacked in the rows of weight_ih and weight_hh
    state_count = 1         # 1: state is (h,); 2: state is (h, c)

    @property
    def _h_size(self):
        """The width of h (hidden_size; an LSTM with proj_size > 0 projects h to proj_size)."""
        return self.hidden_size

    def _state_shapes(self, leading):
        """The shape of each state, (h,) or (h, c), with `leading` axes before the last."""
        return (leading + (self._h_size,),) + (leading + (self.hidden_size,),) * (self.state_count - 1)

    def _make_cell_parameters(self, suffix, input_size, bias):
        rows, bound = self.gate_count * self.hidden_size, init_bound(self.hidden_size)
        # the order of these draws is PyTorch's parameter order
        self.register_parameter(f"weight_ih{suffix}", uniform_parameter((rows, input_size), bound))
        self.register_parameter(f"weight_hh{suffix}", uniform_parameter((rows, self._h_size), bound))
        self.register_parameter(f"bias_ih{suffix}", uniform_parameter((rows,), bound) if bias else None)
        self.register_parameter(f"bias_hh{suffix}", uniform_parameter((rows,), bound) if bias else None)

    def _factory(self, device, dtype):
        """PyTorch's factory arguments: the parameters drawn (on the host, float32) are then moved and cast."""
        if device is not None or dtype is not None:
            self.to(device=device, dtype=dtype)

    def _cell_weights(self, suffix):
        return tuple(getattr(self, f"{name}{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def _impl(self):
        return self.impl if self.impl is not None else _default_impl

    def _states(self, hx, names, shapes, x, layout=""):
        """hx -> a tuple of checked states (h,) or (h, c), of `shapes` (one per state); zeros when hx is None."""
        if hx is None:  # zeros named h_0 (and c_0), as the drawing shows them
            states = tuple(zeros(shape, dtype=x.dtype, device=x.device) for shape in shapes)
            for state, name in zip(states, ("h_0", "c_0")):
                state.name = name
            return states
        if self.state_count == 1:
            hx = (hx,)
        elif not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            sizes = f"shape {shapes[0]}" if shapes[0] == shapes[1] else f"shapes {shapes[0]} and {shapes[1]}"
            raise OpError(f"{type(self).__name__}: hx must be a tuple ({', '.join(names)}) of two Tensors of "
                          f"{sizes}, got {type(hx).__name__}")
        return tuple(check_state(type(self).__name__, name, s, shape, x, layout)
                     for name, s, shape in zip(names, hx, shapes))


class RecurrentCellBase(_RecurrentMixin, Module):
    """One step of a recurrent cell: forward(x, hx=None) -> h (RNN, GRU) or (h, c) (LSTM).

    x: (batch, input_size) or (input_size,) unbatched; hx as the output, zeros when None.
    Parameters weight_ih (G*H, input_size), weight_hh (G*H, H), bias_ih, bias_hh (G*H,).
    """

    def __init__(self, input_size, hidden_size, bias=True, impl=None, device=None, dtype=None):
        super().__init__()
        where_ = type(self).__name__
        _check_size(where_, "input_size", input_size, 0)
        _check_size(where_, "hidden_size", hidden_size, 1)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.impl = None if impl is None else check_impl(impl, where_)
        self._make_cell_parameters("", input_size, bias)
        self._factory(device, dtype)

    def forward(self, x, hx=None):
        where_ = type(self).__name__
        check_tensor(where_, "input", x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise OpError(f"{where_}: expected input of shape (batch, {self.input_size}) or ({self.input_size},), "
                          f"got {tuple(x.shape)}")
        if x.ndim == 2 and x.shape[0] == 0:
            raise OpError(f"{where_}: expected at least one batch item, got input of shape {tuple(x.shape)}")
        check_dtype(where_, x, self.weight_ih)
        batched = x.ndim == 2
        if not batched:
            x = x.reshape(1, self.input_size)
        batch = x.shape[0]
        shapes = self._state_shapes((batch,) if batched else ())
        state = self._states(hx, ("hx",) if self.state_count == 1 else ("h", "c"), shapes, x)
        state = tuple(s.reshape(batch, self.hidden_size) for s in state)
        if hx is None:  # the drawing of an unrolled cell shows where the recurrence starts
            state = tuple(symbol(s, name) for s, name in zip(state, ("h_0", "c_0")))
        w = self._cell_weights("")
        if self._impl() == "fused":  # the layer's op over a sequence of one step
            _, new = self.bptt(x.reshape(1, batch, self.input_size), state, w, False, None)
        else:
            new = self.step(x, state, transposed(w))
        if not batched:
            new = tuple(s.reshape(self.hidden_size) for s in new)
        return new[0] if self.state_count == 1 else new

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
    forward(packed, hx=None) with a PackedSequence (nn.utils.rnn) -> (PackedSequence, h_n) as PyTorch's:
        the output packed like the input (batch_first plays no part), h_n at each sequence's last step,
        hx and h_n in the batch's original order (the packing's sort undone)

    Layer k > 0 reads the previous layer's output, through dropout(p=dropout) while training.
    Parameters weight_ih_l{k}[_reverse] (G*H, in), weight_hh_l{k}[_reverse] (G*H, H),
    bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] (G*H,), in PyTorch's names and order.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, impl=None, device=None, dtype=None):
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
            layer_input = input_size if layer == 0 else self._h_size * directions
            for direction in range(directions):
                self._make_cell_parameters(self._suffix(layer, direction), layer_input, bias)
        self._factory(device, dtype)

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    @staticmethod
    def _suffix(layer, direction):
        return f"_l{layer}" + ("_reverse" if direction else "")

    def layer_weights(self, layer, direction=0):
        """(weight_ih, weight_hh, bias_ih, bias_hh) of one layer and direction (biases None without bias)."""
        return self._cell_weights(self._suffix(layer, direction))

    def flatten_parameters(self):
        """PyTorch packs cuDNN's weights into one buffer here; nothing to do: a no-op kept for its programs."""

    def forward(self, x, hx=None, lengths=None):
        where_ = type(self).__name__
        if isinstance(x, PackedSequence):
            return self._forward_packed(x, hx, lengths)
        check_tensor(where_, "input", x)
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
        output, last = self._time_major(x, hx, check_lengths(lengths, batch, steps, where_), batched)
        if not batched:
            output = output.reshape(steps, output.shape[-1])
            last = tuple(s.reshape(s.shape[0], s.shape[-1]) for s in last)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, (last[0] if self.state_count == 1 else last)

    def _forward_packed(self, sequence, hx, lengths):
        """A PackedSequence in, one out (same batch_sizes and indices): unpacked to a time-major padded batch
        in the original order, run with its lengths, the output packed again. h_n is each sequence's state at
        its own last step, in the original batch order, as PyTorch's."""
        where_ = type(self).__name__
        if lengths is not None:
            raise OpError(f"{where_}: lengths= cannot be given with a PackedSequence; its batch_sizes already "
                          "hold the lengths")
        data = sequence.data
        if data.ndim != 2 or data.shape[-1] != self.input_size:
            raise OpError(f"{where_}: expected a PackedSequence whose data has shape (sum(lengths), "
                          f"{self.input_size}), got {tuple(data.shape)}")
        check_dtype(where_, data, self.weight_ih_l0)
        padded, lengths = pad_packed_sequence(sequence)
        output, last = self._time_major(padded, hx, lengths.numpy(), True)
        return pack_data(output, sequence), (last[0] if self.state_count == 1 else last)

    def _time_major(self, x, hx, lengths, batched):
        """x: (T, batch, in), lengths checked (or None) -> (output (T, batch, D * h), (h_n,) or (h_n, c_n))."""
        where_ = type(self).__name__
        steps = x.shape[0]
        masks = step_masks(lengths, steps, x)
        states = self._initial_states(hx, x, batched)
        impl = self._impl()
        directions = self.num_directions
        finals, layer_input = [], x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                name = f"{where_} layer {layer} {'reverse' if direction else 'forward'}"
                state, w = states[layer * directions + direction], self.layer_weights(layer, direction)
                with scope(name):
                    if impl == "fused":
                        out, final = self.bptt(layer_input, state, w, direction == 1, masks)
                    else:
                        out, final = self._composite_direction(layer_input, state, w, direction == 1, masks)
                outputs.append(out)
                finals.append(final)
            layer_input = outputs[0] if directions == 1 else concat(outputs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = dropout(layer_input, self.dropout, training=True)
        # h_n (and c_n): one row per layer and direction; a single one needs no copy
        last = tuple(stack([f[i] for f in finals], axis=0) if len(finals) > 1 else finals[0][i].unsqueeze(0)
                     for i in range(self.state_count))
        return layer_input, last

    def _composite_direction(self, x, state, w, reverse, masks):
        """One layer, one direction, step by step from primitive ops -> (output (T, batch, H), final state).

        Each step is recorded under the scope "t={t}"; the output stacks every step's new h_t
        (zeros where lengths make a step padding), so autograd's backward is BPTT."""
        steps, batch = x.shape[0], x.shape[1]
        pieces = split(x.reshape(steps * batch, x.shape[2]), batch, axis=0)   # x_t: (batch, in) each
        pieces = [symbol(piece, "x_t") for piece in pieces]
        w = transposed(w)
        # steps past the longest sequence leave the state alone and output zeros: skip them
        active = steps if masks is None else masks.active_steps
        outputs = [None] * steps
        for t in step_scopes(range(active - 1, -1, -1) if reverse else range(active)):
            new = self.step(pieces[t], state, w)
            real = None if masks is None else masks.real[t]
            state = new if real is None else tuple(where(real, n, s) for n, s in zip(new, state))
            outputs[t] = new[0]
        if active < steps:
            outputs[active:] = [zeros(state[0].shape, dtype=x.dtype, device=x.device)] * (steps - active)
        output = stack(outputs, axis=0)
        return (output, state) if masks is None else (where(masks.output, output, 0.0), state)

    def _initial_states(self, hx, x, batched):
        """hx -> one state tuple per (layer, direction), each of (batch, H) Tensors."""
        count, batch = self.num_layers * self.num_directions, x.shape[1]
        if hx is None:
            return [self._states(None, (), self._state_shapes((batch,)), x) for _ in range(count)]
        shapes = self._state_shapes((count, batch) if batched else (count,))
        layout = f"num_layers * num_directions, {'batch, ' if batched else ''}hidden_size"
        per_state = self._states(hx, ("hx",) if self.state_count == 1 else ("h_0", "c_0"), shapes, x, layout)
        return list(zip(*([symbol(p.reshape(batch, p.shape[-1]), name) for p in split(s, 1, axis=0)]
                          for s, name in zip(per_state, ("h_0", "c_0")))))

    def extra_repr(self):
        extra = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            extra += f", num_layers={self.num_layers}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False),
                              ("impl", None)):
            if getattr(self, name) != default:
                extra += f", {name}={getattr(self, name)}"
        return extra

"""What the composite LSTM variants (layer-normalised, variational dropout) share: the
initial state (h_0, c_0) of each layer, the inputs x_t of each step, named after the
docstrings' symbols so that the drawing of the unrolled graph reads like the equations, and
the loop over layers and steps itself."""

from .. import autograd
from ..autograd import symbol
from ..creation import zeros
from ..errors import OpError
from ..functions import split, stack
from .sequence_checks import advance, check_state


def initial_states(where_, hx, num_layers, hidden_size, x):
    """hx = (h_0, c_0), each (num_layers, batch, H), or None -> per layer k the pair
    (h_0[k], c_0[k]), each (batch, H), named h_0 and c_0 in drawings; zeros when hx is None."""
    batch = x.shape[1]
    if hx is None:
        pairs = []
        for _ in range(num_layers):
            h, c = zeros(batch, hidden_size, dtype=x.dtype, device=x.device), zeros(batch, hidden_size,
                                                                                   dtype=x.dtype, device=x.device)
            h.name, c.name = "h_0", "c_0"
            pairs.append((h, c))
        return pairs
    if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
        raise OpError(f"{where_}: hx must be a tuple (h_0, c_0) of two Tensors of shape "
                      f"{(num_layers, batch, hidden_size)}, got {type(hx).__name__}")
    shape, layout = (num_layers, batch, hidden_size), "num_layers, batch, hidden_size"
    h0, c0 = (check_state(where_, name, s, shape, x, layout) for name, s in zip(("h_0", "c_0"), hx))
    return [(symbol(h0[k], "h_0"), symbol(c0[k], "c_0")) for k in range(num_layers)]


def split_steps(x):
    """x: (T, batch, in) -> the T tensors x_t (batch, in), one op for them all (indexing x[t]
    at every step would make each step's backward write a (T, batch, in) array)."""
    steps, batch = x.shape[0], x.shape[1]
    pieces = split(x.reshape(steps * batch, x.shape[2]), batch, axis=0)
    return [symbol(piece, "x_t") for piece in pieces]


def run_layers(where_, x, starts, layer_step, num_layers, padding, batch_first, return_cell_states):
    """The layers in turn over x (T, batch, in), each unrolled step by step ->
    (output, (h_n, c_n)) and, with return_cell_states, every c_t of the top layer as well.

    layer_step(k) is called inside layer k's scope (so what it makes, W^T say, is drawn there once)
    and returns that layer's step, (x_t, h_{t-1}, c_{t-1}) -> (h_t, c_t). padding (step_masks) keeps
    a finished sequence's state and zeroes its outputs. output is (T, batch, H), or (batch, T, H)
    with batch_first, as are the cells; h_n and c_n are (num_layers, batch, H)."""
    h_n, c_n = [], []
    for k in range(num_layers):
        with autograd.scope(f"{where_} layer {k} forward"):
            step = layer_step(k)
            (h, c), pieces = starts[k], split_steps(x)
            outputs, cells = [], []
            for t in autograd.step_scopes(range(len(pieces))):
                h_new, c_new = step(pieces[t], h, c)
                (h, out), (c, cell) = advance(h_new, h, padding, t), advance(c_new, c, padding, t)
                outputs.append(out)
                cells.append(cell)
            x = stack(outputs, axis=0)
        h_n.append(h)
        c_n.append(c)
    output, cells = x, stack(cells, axis=0)
    if batch_first:
        output, cells = output.transpose(0, 1), cells.transpose(0, 1)
    final = (stack(h_n, axis=0), stack(c_n, axis=0))
    return (output, final, cells) if return_cell_states else (output, final)

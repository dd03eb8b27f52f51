"""What the composite LSTM variants (layer-normalised, variational dropout) share: the
initial state (h_0, c_0) of each layer and the inputs x_t of each step, named after the
docstrings' symbols so that the drawing of the unrolled graph reads like the equations."""

from ..autograd import symbol
from ..creation import zeros
from ..errors import OpError
from ..functions import split
from .sequence_checks import check_state


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

"""Checks every recurrent module makes of its input, written once: the
sequence's layout, lengths of a padded batch, the input's dtype, the initial
state, and the per-step validity mask."""

from .. import backend
from ..creation import zeros
from ..errors import OpError
from ..functions import where
from ..tensor import Tensor


def check_lengths(lengths, batch, steps, where):
    """`lengths` as a host int64 array of shape (batch,), each in 1..steps (None stays None);
    a sequence without steps is refused here too, as every caller needs at least one."""
    if steps == 0:
        raise OpError(f"{where}: expected at least one time step, got an empty sequence (T=0)")
    if lengths is None:
        return None
    if isinstance(lengths, Tensor):
        lengths = lengths.numpy()
    array = backend.np.asarray(backend.to_numpy(lengths) if backend.is_array(lengths) else lengths)
    if array.ndim != 1 or array.shape[0] != batch:
        raise OpError(f"{where}: lengths must hold one int per batch item ({batch}), got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise OpError(f"{where}: lengths must be integers, got dtype {array.dtype}")
    if array.size and (array.min() < 1 or array.max() > steps):
        shown = array.tolist() if array.size <= 20 else f"min {array.min()} and max {array.max()}"
        raise OpError(f"{where}: every length must lie in 1..{steps} (the padded number of steps), got {shown}")
    return array.astype(backend.int64)


def check_dtype(where, x, weight):
    """A recurrent layer's input must have its parameters' dtype (no silent float32/float64 mixing)."""
    if x.dtype != weight.dtype:
        raise OpError(f"{where}: input dtype {x.dtype} does not match the parameters' dtype {weight.dtype}; "
                      "convert the input (.float() / .double()) or the module (.float() / .double())")


def step_mask(lengths, t, like):
    """(batch, 1) boolean array on `like`'s device: True where step t is a real step of sequence b."""
    return backend.as_array((lengths > t)[:, None], device=like.device)


def time_major_sequence(where, x, input_size, batch_first, weight, lengths):
    """x: (T, batch, input_size), or (batch, T, input_size) with batch_first ->
    (x time-major, T, batch, checked lengths)."""
    if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[-1] != input_size:
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise OpError(f"{where}: expected input of shape (T, batch, input_size) or (batch, T, input_size) "
                      f"with input_size={input_size}, got {got}")
    check_dtype(where, x, weight)
    if batch_first:
        x = x.transpose(0, 1)
    steps, batch = x.shape[0], x.shape[1]
    return x, steps, batch, check_lengths(lengths, batch, steps, where)


def initial_state(where, name, state, shape, like):
    """The state a recurrence starts from: zeros of `shape` (like's dtype and device) when None."""
    if state is None:
        return zeros(shape, dtype=like.dtype, device=like.device)
    if tuple(state.shape) != shape:
        raise OpError(f"{where}: {name} must have shape {shape}, got {tuple(state.shape)}")
    return state


def advance(new, old, lengths, t, like):
    """(state, output) after step t: the new state and it as output where step t is real;
    for a padded sequence past its end, the old state kept and zeros as output."""
    if lengths is None:
        return new, new
    valid = step_mask(lengths, t, like)
    return where(valid, new, old), where(valid, new, 0.0)

"""What every recurrent module checks and needs of its input, written once for the
layers (nn.RNN, LSTM, GRU and their cells) and the variants (peephole LSTM, Jordan,
clockwork): the sequence's layout, the lengths of a padded batch, the input's dtype,
the initial state, and which steps of which sequences are real."""

from .. import backend
from ..creation import zeros
from ..errors import OpError
from ..functions import where
from ..tensor import Tensor


def check_tensor(where_, name, x):
    if not isinstance(x, Tensor):
        raise OpError(f"{where_}: {name} must be a Tensor, got {type(x).__name__}")


def check_lengths(lengths, batch, steps, where_):
    """`lengths` as a host int64 array of shape (batch,), each in 1..steps (None stays None);
    a sequence without steps is refused here too, as every caller needs at least one."""
    if steps == 0:
        raise OpError(f"{where_}: expected at least one time step, got an empty sequence (T=0)")
    if lengths is None:
        return None
    if isinstance(lengths, Tensor):
        lengths = lengths.numpy()
    array = backend.np.asarray(backend.to_numpy(lengths) if backend.is_array(lengths) else lengths)
    if array.ndim != 1 or array.shape[0] != batch:
        raise OpError(f"{where_}: lengths must hold one int per batch item ({batch}), got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise OpError(f"{where_}: lengths must be integers, got dtype {array.dtype}")
    if array.size and (array.min() < 1 or array.max() > steps):
        shown = array.tolist() if array.size <= 20 else f"min {array.min()} and max {array.max()}"
        raise OpError(f"{where_}: every length must lie in 1..{steps} (the padded number of steps), got {shown}")
    return array.astype(backend.int64)


def check_dtype(where_, x, weight):
    """A recurrent layer's input must have its parameters' dtype (no silent float32/float64 mixing)."""
    if x.dtype != weight.dtype:
        raise OpError(f"{where_}: input dtype {x.dtype} does not match the parameters' dtype {weight.dtype}; "
                      "convert the input (.float() / .double()) or the module (.float() / .double())")


def check_state(where_, name, state, shape, like, layout=""):
    """A state a recurrence starts from: a Tensor of `shape` with the input's dtype and device.
    `layout` names the axes in the message, e.g. "num_layers * num_directions, batch, hidden_size"."""
    check_tensor(where_, name, state)
    if tuple(state.shape) != tuple(shape):
        axes = f" ({layout})" if layout else ""
        raise OpError(f"{where_}: expected {name} of shape {tuple(shape)}{axes}, got {tuple(state.shape)}")
    if state.dtype != like.dtype:
        raise OpError(f"{where_}: {name} has dtype {state.dtype} but the input has dtype {like.dtype}; "
                      "they must match")
    if state.device != like.device:
        raise backend.DeviceError(f"{where_}: {name} is on {state.device} but the input is on {like.device}; "
                                  "move it with .to(device)")
    return state


def initial_state(where_, name, state, shape, like, layout=""):
    """The state a recurrence starts from: zeros of `shape` (like's dtype and device) when None,
    else `state` after check_state."""
    if state is None:
        return zeros(shape, dtype=like.dtype, device=like.device)
    return check_state(where_, name, state, shape, like, layout)


def time_major_sequence(where_, x, input_size, batch_first, weight, lengths):
    """x: (T, batch, input_size), or (batch, T, input_size) with batch_first ->
    (x time-major, T, batch, checked lengths)."""
    if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[-1] != input_size:
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise OpError(f"{where_}: expected input of shape (T, batch, input_size) or (batch, T, input_size) "
                      f"with input_size={input_size}, got {got}")
    check_dtype(where_, x, weight)
    if batch_first:
        x = x.transpose(0, 1)
    steps, batch = x.shape[0], x.shape[1]
    return x, steps, batch, check_lengths(lengths, batch, steps, where_)


class StepMasks:
    """Which sequences of a padded batch are real at each step, from their lengths.

    Step t of sequence b is real when t < lengths[b]; a padded step neither changes
    the state nor produces output.

        active_steps   max(lengths): every later step is padding for every sequence
        real[t]        (batch, 1) boolean array on the input's device, or None when
                       every sequence is real at step t (t < min(lengths))
        output         (T, batch, 1) boolean array: real[t] for every step at once

    The host decides from the host lengths which steps run and which are partly
    padded; the masks are compared on the device, from one copy of the lengths
    (batch ints) per forward, so nothing is read back and nothing of size T is copied.
    """

    def __init__(self, lengths, steps, like):
        xp = backend.xp_for(like.device)
        self.active_steps = int(lengths.max())
        on_device = backend.as_array(lengths, device=like.device)
        self.output = xp.arange(steps)[:, None, None] < on_device[None, :, None]     # (T, batch, 1)
        shortest = int(lengths.min())
        self.real = [None if t < shortest else self.output[t] for t in range(steps)]


def step_masks(lengths, steps, like):
    """StepMasks for checked lengths, or None when there are none or every sequence is full length."""
    if lengths is None or (lengths == steps).all():
        return None
    return StepMasks(lengths, steps, like)


def advance(new, old, masks, t):
    """(state, output) after step t: the new state, and it as output, where step t is real;
    where it is padding, the old state kept and zeros as output."""
    real = None if masks is None else masks.real[t]
    if real is None:
        return new, new
    return where(real, new, old), where(real, new, 0.0)

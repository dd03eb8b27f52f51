"""Checks every recurrent module makes of its input, written once:
lengths of a padded batch, the input's dtype, and the per-step validity mask."""

from .. import backend
from ..errors import OpError
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

"""Sequence-to-one readouts of a padded batch, the lengths that say which of
its steps are real, and the input checks the recurrent variants share.

A padded batch `output: (T, batch, H)` (time-major; `(batch, T, H)` with
batch_first) holds sequence b in its first `lengths[b]` steps; the rest is
padding. Without lengths every sequence has all T steps.

    last_step(output, lengths)         out[b] = output[lengths[b] - 1, b]                        (batch, H)
    mean_over_steps(output, lengths)   out[b] = 1/lengths[b] * sum_{t < lengths[b]} output[t, b]   (batch, H)

Both are built from getitem, mul, sum and div, so gradients reach exactly the
steps that were read (the last one, or every valid one with weight 1/length).
"""

from .. import backend
from ..errors import OpError
from .module import Module
from .sequence_checks import check_lengths


def _time_major(output, batch_first, where):
    if output.ndim != 3:
        raise OpError(f"{where}: expected output of shape (T, batch, H) (or (batch, T, H) with batch_first), "
                      f"got {tuple(output.shape)}")
    return output.transpose(0, 1) if batch_first else output


def last_step(output, lengths=None, batch_first=False):
    """Each sequence's output at its own last step: (batch, H)."""
    output = _time_major(output, batch_first, "last_step")
    steps, batch = output.shape[0], output.shape[1]
    lengths = check_lengths(lengths, batch, steps, "last_step")
    if lengths is None:
        return output[steps - 1]
    xp = backend.xp_for(output.device)
    return output[(xp.asarray(lengths - 1), xp.arange(batch))]


def mean_over_steps(output, lengths=None, batch_first=False):
    """Each sequence's mean output over its valid steps: (batch, H)."""
    output = _time_major(output, batch_first, "mean_over_steps")
    steps, batch = output.shape[0], output.shape[1]
    lengths = check_lengths(lengths, batch, steps, "mean_over_steps")
    if lengths is None:
        return output.mean(axis=0)
    valid = (backend.np.arange(steps)[:, None] < lengths[None, :])[:, :, None]     # (T, batch, 1)
    valid = backend.as_array(valid.astype(output.dtype), device=output.device)
    counts = backend.as_array(lengths[:, None].astype(output.dtype), device=output.device)  # (batch, 1)
    return (output * valid).sum(axis=0) / counts


class SequenceReadout(Module):
    """Sequence-to-one: (T, batch, H) -> (batch, H), by the last valid step
    (`mode="last"`) or the mean over valid steps (`mode="mean"`). No parameters."""

    modes = {"last": last_step, "mean": mean_over_steps}

    def __init__(self, mode="last", batch_first=False):
        super().__init__()
        if mode not in self.modes:
            raise OpError(f"SequenceReadout: mode must be one of {sorted(self.modes)}, got {mode!r}")
        self.mode, self.batch_first = mode, batch_first

    def forward(self, output, lengths=None):
        return self.modes[self.mode](output, lengths, self.batch_first)

    def extra_repr(self):
        return f"mode={self.mode!r}, batch_first={self.batch_first}"

"""CheckpointError, the one exception a malformed file can cause, and the
limits every reader shares."""

import reprlib

MAX_DEPTH = 200              # nesting of containers in a loaded object (manifest or pickle)
MAX_RECORD_BYTES = 64 << 20  # a manifest or a pickle: far above any state_dict's, far below a bomb's
MAX_NAME_CHARS = 1024        # a zip member's name, a pickle GLOBAL's module or name


class CheckpointError(ValueError):
    """A file is not a readable checkpoint, or a value cannot be saved in one."""


_short = reprlib.Repr()
_short.maxstring = _short.maxother = 60
_short.maxlevel = 3


def describe(value):
    """A short repr that never fails (no deep recursion, no 100,000-digit int)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    try:
        return _short.repr(value)
    except Exception:  # a hostile object's __repr__, an int too long to print
        return f"a {type(value).__name__}"

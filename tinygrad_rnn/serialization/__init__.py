"""tr.save / tr.load: checkpoints in the library's format or PyTorch's, loaded without running the file's code.

    tr.save(model.state_dict(), "model.ckpt")      the library's format: JSON manifest + .npy arrays
    tr.save(model.state_dict(), "model.pt")        PyTorch's format: torch.load reads it
    tr.save(obj, f, format="torch")                either format, for any path or binary file object
    state = tr.load("model.pt")                    either format, found from the file's bytes

Which format is written: `format="torch"` or `format="tinygrad_rnn"` if given;
otherwise PyTorch's for a name ending in .pt or .pth (the names PyTorch users
give their checkpoints, so a file meant for PyTorch is one torch.load reads)
and the library's own for any other name, which keeps NumPy arrays as NumPy
arrays and can be read with json and NumPy alone.

Loading is weights_only by default, with PyTorch's rules: data (tensors,
arrays, numbers, strings, bytes, containers, state_dicts) loads; a whole object
(a Module, a user's class) loads only if its classes are allowed by
`safe_globals([...])` or `add_safe_globals`, or with `weights_only=False`,
which runs any code the file holds and is only for files you trust as you
trust a program. Every malformed file raises CheckpointError naming the file
and what is wrong (see files.py, zip_reader.py, npy.py and unpickler.py for
the checks), in time and memory proportional to its size.
"""

from .. import backend
from . import files, library_format, torch_format, torch_legacy
from .allow_list import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals
from .error import CheckpointError, describe
from .placement import check_map_location
from .zip_reader import ZipReader

FORMATS = ("tinygrad_rnn", "torch")
TORCH_SUFFIXES = (".pt", ".pth")

__all__ = ["save", "load", "CheckpointError", "safe_globals", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "FORMATS"]


def _format_for(f, format):
    if format is not None:
        if format not in FORMATS:
            raise ValueError(f"save: format must be one of {FORMATS} or None (chosen from the file name), "
                             f"got {format!r}")
        return format
    return "torch" if files.display_name(f).lower().endswith(TORCH_SUFFIXES) else "tinygrad_rnn"


def save(obj, f, format=None, _use_new_zipfile_serialization=True):
    """Write `obj` to `f`, a path (written atomically) or a binary file object (written in place).

    obj: Tensors, NumPy arrays, numbers, strings, bytes, None, lists, tuples, dicts
    and OrderedDicts of them (state_dicts of modules, optimizers, schedulers), or
    any picklable object (a whole Module), pickled as PyTorch does.
    format: "torch", "tinygrad_rnn", or None for PyTorch's with a .pt/.pth name.
    _use_new_zipfile_serialization: PyTorch's flag; only its default, True (the zip
    format), is written.
    """
    if _use_new_zipfile_serialization is not True:
        raise CheckpointError("save: PyTorch's legacy format (_use_new_zipfile_serialization=False) is not "
                              "written; PyTorch has read the zip format since 1.6")
    writer = torch_format.save if _format_for(f, format) == "torch" else library_format.save
    if files.is_path(f):
        files.write_atomically(f, lambda file: writer(obj, file))
        return
    if not callable(getattr(f, "write", None)):
        raise TypeError(f"save: expected a path or a binary file object with write, got {type(f).__name__}")
    writer(obj, f)


def load(f, map_location=None, weights_only=True):
    """Read a checkpoint written by tr.save or torch.save from a path or a binary file object.

    map_location: None (each tensor back on its device, or the CPU when that is
    not available), "cpu" or "cuda", or a dict such as {"cuda": "cpu"}.
    weights_only: True (the default) rebuilds only data and the globals allowed
    by safe_globals; False unpickles with Python's pickle, which runs whatever
    code the file holds: use it only for files you trust.
    """
    map_location = check_map_location(map_location)
    if type(weights_only) is not bool:
        raise TypeError(f"load: weights_only must be True or False, got {weights_only!r}")
    with files.open_source(f) as source:
        try:
            return _load(source, map_location, weights_only)
        except (CheckpointError, backend.DeviceError, OSError):
            raise
        except Exception as exc:  # a check this reader lacks: still the checkpoint error, never a traceback
            raise CheckpointError(f"load: {source.name} is damaged: {type(exc).__name__}: "
                                  f"{describe(str(exc))}") from None


def _load(source, map_location, weights_only):
    name = source.name
    head = bytes(source.read(0, min(source.size, 512), "the file's first bytes"))
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        archive = ZipReader(source)
        if library_format.MANIFEST not in archive and torch_format.is_torch_archive(archive):
            return torch_format.load(archive, name, map_location, weights_only)
        return library_format.load(archive, name, map_location, weights_only)
    if head.startswith(torch_legacy.MAGIC):
        return torch_legacy.load(source, map_location, weights_only)
    if head[257:262] == b"ustar":
        raise CheckpointError(f"load: {name} is a tar archive (PyTorch's format before 0.4?), not a checkpoint "
                              "this library reads")
    what = "empty" if source.size == 0 else "neither a zip archive nor a legacy PyTorch file"
    raise CheckpointError(f"load: {name} is not a checkpoint: it is {what} (a checkpoint written by tr.save "
                          "or torch.save is a zip archive)")

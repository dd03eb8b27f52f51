"""tr.save / tr.load: checkpoints that execute no code when loaded.

A checkpoint is a zip archive (uncompressed, like NumPy's .npz):

    manifest.json      {"format": "tinygrad_rnn.checkpoint", "version": 1, "root": <node>}
    arrays/<i>.npy     every array and tensor, as a host NumPy array (allow_pickle=False)

A node of the manifest describes one value of the saved structure:

    {"dict": [[key, node], ...]}  keys str or int (order kept)    {"list": [node, ...]}
    {"tuple": [node, ...]}        {"tensor": i, "device": d, "requires_grad": b}
    {"array": i, "device": d}     {"float": "nan" | "inf" | "-inf"}    and JSON's own
    null, true/false, numbers and strings

so loading parses JSON and reads raw arrays, nothing else. The file is written
to a temporary file beside the target and moved over it with os.replace, so a
crash mid-save leaves the previous checkpoint intact.
"""

import json
import math
import os
import tempfile
import zipfile

from . import backend
from .tensor import Tensor

FORMAT = "tinygrad_rnn.checkpoint"
VERSION = 1
MANIFEST = "manifest.json"


class CheckpointError(ValueError):
    """A file is not a readable checkpoint, or a value cannot be saved in one."""


def save(obj, path):
    """Write `obj` (nested dicts, lists and tuples of Tensors, arrays, numbers,
    strings, booleans and None, e.g. a model's or an optimizer's state_dict) to `path`."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: cannot write {path}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
                arrays = []
                root = _encode(obj, arrays, "obj", archive)
                manifest = {"format": FORMAT, "version": VERSION, "arrays": len(arrays), "root": root}
                archive.writestr(MANIFEST, json.dumps(manifest, allow_nan=False))
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give the checkpoint the usual permissions
        os.chmod(tmp, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _encode(value, arrays, where, archive):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, Tensor) or backend.is_array(value) or isinstance(value, backend.np.generic):
        data = value.array if isinstance(value, Tensor) else value
        host = backend.np.asarray(backend.to_numpy(data) if backend.is_array(data) else data)
        if host.dtype.hasobject:
            raise CheckpointError(f"save: {where} is an array of Python objects, which a checkpoint cannot hold")
        i = len(arrays)
        with archive.open(f"arrays/{i}.npy", "w", force_zip64=True) as f:
            backend.np.lib.format.write_array(f, host, allow_pickle=False)
        arrays.append(i)
        if isinstance(value, Tensor):
            return {"tensor": i, "device": value.device, "requires_grad": bool(value.requires_grad)}
        kind = "scalar" if isinstance(value, backend.np.generic) else "array"
        return {kind: i, "device": backend.device_of(data) if kind == "array" else "cpu"}
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise CheckpointError(f"save: {where} has a key of type {type(k).__name__}; keys must be str or int")
            items.append([k, _encode(v, arrays, f"{where}[{k!r}]", archive)])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        nodes = [_encode(v, arrays, f"{where}[{i}]", archive) for i, v in enumerate(value)]
        return {"list" if isinstance(value, list) else "tuple": nodes}
    raise CheckpointError(f"save: {where} has type {type(value).__name__}; a checkpoint holds only Tensors, arrays, "
                          "numbers, strings, booleans, None and dicts, lists and tuples of them")


def load(path, map_location=None):
    """Read a checkpoint written by save().

    map_location: None puts each tensor and array back on the device it was
    saved from, or on the CPU when that device is not available here (a
    checkpoint saved on a GPU loads on a CPU-only machine); "cpu" or "cuda"
    puts everything there; a dict such as {"cuda": "cpu"} maps saved devices.
    """
    path = os.fspath(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise CheckpointError(f"load: {path} is not a tinygrad_rnn checkpoint: it is not a zip archive, or it is "
                              f"truncated ({exc})") from None
    with archive:
        try:
            manifest = json.loads(archive.read(MANIFEST))
        except KeyError:
            raise CheckpointError(f"load: {path} is a zip archive but not a tinygrad_rnn checkpoint: "
                                  f"it has no {MANIFEST}") from None
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise CheckpointError(f"load: {path} has an unreadable or corrupt {MANIFEST} ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise CheckpointError(f"load: {path} is not a tinygrad_rnn checkpoint: its {MANIFEST} does not "
                                  f"declare format {FORMAT!r}")
        if manifest.get("version") != VERSION:
            raise CheckpointError(f"load: {path} is checkpoint format version {manifest.get('version')!r}; "
                                  f"this library reads version {VERSION}")
        try:
            return _decode(manifest["root"], archive, map_location)
        except CheckpointError as exc:
            raise CheckpointError(f"load: {path} is damaged: {exc}") from None
        except (KeyError, TypeError, ValueError, IndexError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise CheckpointError(f"load: {path} is damaged or truncated: {type(exc).__name__}: {exc}") from None


def _target_device(saved, map_location):
    if isinstance(map_location, dict):
        device = map_location.get(saved, saved)
    else:
        device = map_location or saved
    if map_location is None and device == "cuda" and not backend.cuda_available():
        device = "cpu"
    return backend.check_device(device)


def _read_array(i, archive):
    name = f"arrays/{int(i)}.npy"
    try:
        with archive.open(name) as f:
            return backend.np.lib.format.read_array(f, allow_pickle=False)
    except KeyError:
        raise CheckpointError(f"array {name} listed in the manifest is missing") from None


def _decode(node, archive, map_location):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list) or not isinstance(node, dict) or len(node) == 0:
        raise CheckpointError(f"unexpected manifest entry {str(node)[:80]!r}")
    if "dict" in node:
        return {k: _decode(v, archive, map_location) for k, v in node["dict"]}
    if "list" in node:
        return [_decode(v, archive, map_location) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, archive, map_location) for v in node["tuple"])
    if "float" in node:
        return float(node["float"])
    if "scalar" in node:
        return _read_array(node["scalar"], archive)[()]
    if "array" in node:
        return backend.as_array(_read_array(node["array"], archive),
                                device=_target_device(node["device"], map_location))
    if "tensor" in node:
        data = backend.as_array(_read_array(node["tensor"], archive),
                                device=_target_device(node["device"], map_location))
        return Tensor._make(data, requires_grad=bool(node["requires_grad"]) and data.dtype.kind == "f")
    raise CheckpointError(f"unexpected manifest entry {str(node)[:80]!r}")

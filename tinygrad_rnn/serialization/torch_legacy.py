"""PyTorch's legacy checkpoint format (torch.save before 1.6, or _use_new_zipfile_serialization=False), read.

Five pickles, then the storages' bytes:

    MAGIC_NUMBER (0x1950a86a20f9469cfc6c)   1001 (the protocol version)
    {"little_endian": bool, "type_sizes": {...}, "protocol_version": 1001}
    the object, whose tensors refer to ("storage", torch.FloatStorage, key, location, numel, None)
    [key, ...]                              the order of the storages that follow
    for each key: numel (int64) then numel values

The storages come after the object that uses them, so the object's pickle is
run twice: once, with placeholder storages that hold no memory, to learn each
storage's dtype and length (hence where each one lies in the file), and again
with the storages read from those places. Each storage is a view of the file's
bytes, which are read once.
"""

import sys

from .. import backend
from .error import CheckpointError, describe
from .placement import target_device
from .torch_format import unpickle
from .torch_names import Rebuilder, Storage, StorageType
from .unpickler import DEFAULT_GLOBALS, RestrictedUnpickler

np = backend.np

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
MAGIC = b"\x80\x02\x8a\x0a" + MAGIC_NUMBER.to_bytes(10, "little")  # the first pickle's bytes


def load(source, map_location, weights_only):
    where = f"load: {source.name}"
    data = source.read(0, source.size, "the legacy checkpoint")
    pos, header = 0, []
    for what in ("magic number", "protocol version", "system information"):
        unpickler = RestrictedUnpickler(data, DEFAULT_GLOBALS, _no_persistent_ids, f"{where}: its {what}", start=pos)
        header.append(unpickler.load())
        pos = unpickler.pos
    magic, version, info = header
    if magic != MAGIC_NUMBER or version != PROTOCOL_VERSION:
        raise CheckpointError(f"{where} is damaged: its legacy header is {describe(magic)}, {describe(version)}")
    if type(info) is not dict or type(info.get("little_endian")) is not bool:
        raise CheckpointError(f"{where} is damaged: its system information is {describe(info)}")
    order = "little" if info["little_endian"] else "big"

    declared = {}  # key -> (dtype, numel, location), from the first run

    def declare(pid):
        key, dtype, numel, location = _storage_id(pid)
        if declared.setdefault(key, (dtype, numel, location))[:2] != (dtype, numel):
            raise CheckpointError(f"storage {key!r} is declared twice, differently")
        return Storage(np.broadcast_to(np.zeros((), dtype), (numel,)), location)  # no memory: a placeholder

    def first_place(location, what):
        return "cpu"

    start = pos
    _, pos = unpickle(data, start, weights_only, Rebuilder(first_place), declare, f"{where}: the object")
    unpickler = RestrictedUnpickler(data, DEFAULT_GLOBALS, _no_persistent_ids, f"{where}: its storage keys",
                                    start=pos)
    keys = unpickler.load()
    pos = unpickler.pos
    if type(keys) is not list or not all(type(k) is str for k in keys) or len(set(keys)) != len(keys):
        raise CheckpointError(f"{where} is damaged: its storage keys are {describe(keys)}")
    storages = {}
    for key in keys:
        if key not in declared:
            raise CheckpointError(f"{where} is damaged: storage {key!r} is listed but no tensor uses it")
        dtype, numel, location = declared[key]
        nbytes = numel * dtype.itemsize
        if pos + 8 + nbytes > len(data) or int.from_bytes(data[pos:pos + 8], order) != numel:
            raise CheckpointError(f"{where} is damaged or truncated: storage {key!r} should hold {numel} values "
                                  f"at byte {pos}")
        values = np.frombuffer(data, dtype=dtype, count=numel, offset=pos + 8)
        if order != sys.byteorder:
            values.byteswap(inplace=True)
        storages[key] = Storage(values, location)
        pos += 8 + nbytes
    missing = set(declared) - set(storages)
    if missing:
        raise CheckpointError(f"{where} is truncated: storages {sorted(missing)} have no data")

    def place(location, what):
        return target_device(location, map_location, f"{where}: {what}")

    def persistent_load(pid):
        return storages[_storage_id(pid)[0]]

    return unpickle(data, start, weights_only, Rebuilder(place), persistent_load, f"{where}: the object")[0]


def _storage_id(pid):
    """(key, dtype, numel, location) of a legacy storage id."""
    if type(pid) is not tuple or len(pid) != 6 or pid[0] not in ("storage", b"storage"):
        raise CheckpointError(f"a persistent id {describe(pid)} is not a storage (a whole nn.Module of the "
                              "legacy format is refused)")
    _, storage_type, key, location, numel, view = pid
    if not isinstance(storage_type, StorageType) or type(key) is not str or type(location) is not str \
            or type(numel) is not int or not 0 <= numel < 2 ** 62:
        raise CheckpointError(f"the storage id {describe(pid)} is malformed")
    if view is not None:
        raise CheckpointError("a storage view (PyTorch before 0.4) is not supported")
    return key, np.dtype(storage_type.dtype), numel, location


def _no_persistent_ids(pid):
    raise CheckpointError("a persistent id where none belongs")

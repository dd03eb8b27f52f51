"""PyTorch's checkpoint format (torch.save since 1.6), read and written without importing torch.

    archive/data.pkl            a protocol-2 pickle of the object; each tensor in it is
                                torch._utils._rebuild_tensor_v2(<storage>, offset, size, stride, requires_grad, hooks)
                                and <storage> the persistent id ("storage", torch.FloatStorage, key, location, numel)
    archive/data/<key>          that storage's raw little-endian values, aligned to 64 bytes in the file
    archive/byteorder           "little"     archive/version  "3"     archive/.format_version  "1"
    archive/.storage_alignment  "64"

Reading rebuilds each tensor as a view of its storage's NumPy array (so
tensors that shared a storage when saved share it again, and a 1-byte file
cannot make a 1 GB tensor), through the allow-listed unpickler with the
table of torch_names.py. Writing pickles with the same names, so torch.load
with weights_only=True reads the file: a Tensor becomes a torch.Tensor, a
Parameter a torch.nn.Parameter, and a NumPy or CuPy array, the one kind of
array torch.load accepts by default, a torch.Tensor too (they load back here as
Tensors: the library's own format keeps them NumPy arrays). Tensors that view
one NumPy buffer share one storage, with their offsets and strides.
"""

import io
import pickle
import sys
import zipfile
from collections import OrderedDict

from .. import backend
from ..nn.parameter import Parameter
from ..tensor import Tensor
from . import allow_list
from .error import MAX_RECORD_BYTES, CheckpointError, describe
from .npy import check_dtype
from .placement import target_device
from .torch_names import DTYPES, STORAGE_DTYPES, Rebuilder, Storage, StorageType, refusal
from .unpickler import DEFAULT_GLOBALS, RestrictedUnpickler, check_depth

np = backend.np

ALIGNMENT = 64


def is_torch_archive(zip_reader):
    return _prefix(zip_reader) is not None


def _prefix(zip_reader):
    roots = [n[:-len("/data.pkl")] for n in zip_reader.names() if n.endswith("/data.pkl") and n.count("/") == 1]
    return roots[0] if len(roots) == 1 else None


# ---- loading ---------------------------------------------------------------------------------

def load(zip_reader, name, map_location, weights_only):
    prefix = _prefix(zip_reader)
    where = f"load: {name}"
    if f"{prefix}/constants.pkl" in zip_reader:
        raise CheckpointError(f"{where} is a TorchScript archive (torch.jit.save), not a torch.save checkpoint")
    order = "little"
    if f"{prefix}/byteorder" in zip_reader:
        order = bytes(zip_reader.read(f"{prefix}/byteorder")).decode("ascii", "replace")
        if order not in ("little", "big"):
            raise CheckpointError(f"{where} is damaged: its byteorder record says {describe(order)}")
    storages = {}

    def place(location, what):
        return target_device(location, map_location, f"{where}: {what}")

    def persistent_load(pid):
        if type(pid) is not tuple or len(pid) != 5:
            raise CheckpointError(f"a persistent id {describe(pid)} is not a storage")
        typename, storage_type, key, location, numel = pid
        if typename not in ("storage", b"storage") or not isinstance(storage_type, StorageType):
            raise CheckpointError(f"a persistent id {describe(pid)} is not a storage")
        if type(key) is not str or len(key) > 256 or type(location) is not str or type(numel) is not int \
                or numel < 0:
            raise CheckpointError(f"the storage id {describe(pid)} is malformed")
        dtype = np.dtype(storage_type.dtype)
        if key in storages:
            if storages[key].array.dtype != dtype:
                raise CheckpointError(f"storage {key!r} is used as both {storages[key].array.dtype} and {dtype}")
            return storages[key]
        record = f"{prefix}/data/{key}"
        if record not in zip_reader:
            raise CheckpointError(f"storage record {record} is missing")
        if zip_reader.size(record) != numel * dtype.itemsize:
            raise CheckpointError(f"storage record {record} holds {zip_reader.size(record)} bytes, but its id "
                                  f"declares {numel} values of {dtype}")
        values = np.frombuffer(zip_reader.read(record), dtype=dtype)
        if order != sys.byteorder:
            values.byteswap(inplace=True)
        storages[key] = Storage(values, location)
        return storages[key]

    record = f"{prefix}/data.pkl"
    if zip_reader.size(record) > MAX_RECORD_BYTES:
        raise CheckpointError(f"{where} is damaged: {record} is {zip_reader.size(record)} bytes, above the "
                              f"{MAX_RECORD_BYTES}-byte limit")
    data = zip_reader.read(record)
    return unpickle(data, 0, weights_only, Rebuilder(place), persistent_load, f"{where}: {record}")[0]


def unpickle(data, start, weights_only, rebuilder, persistent_load, where):
    """(value, end) of the pickle at data[start:], torch's names meaning the rebuilder's functions."""
    torch_globals = rebuilder.globals()
    if not weights_only:
        return _full_unpickle(data, start, torch_globals, persistent_load, where)
    allowed = {**DEFAULT_GLOBALS, **torch_globals, **allow_list.user_globals()}
    rebuilders = [v for v in torch_globals.values() if callable(v) and not isinstance(v, type)]
    unpickler = RestrictedUnpickler(data, allowed, persistent_load, where, refuse=refusal, start=start,
                                    private=rebuilders)
    return unpickler.load(), unpickler.pos


def _full_unpickle(data, start, torch_globals, persistent_load, where):
    """weights_only=False: Python's unpickler, which runs whatever the file asks (unsafe), but torch's
    names still mean the library's rebuilders: torch itself is never imported."""

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            full = f"{module}.{name}"
            if full in torch_globals:
                return torch_globals[full]
            if module.split(".")[0] == "torch":
                raise CheckpointError(refusal(full))
            return super().find_class(module, name)

        def persistent_load(self, pid):
            return persistent_load(pid)

    file = io.BytesIO(memoryview(data)[start:])
    try:
        return Unpickler(file).load(), start + file.tell()
    except CheckpointError as exc:
        if str(exc).startswith("load: "):
            raise
        raise CheckpointError(f"{where}: {exc}") from None
    except Exception as exc:
        raise CheckpointError(f"{where} cannot be unpickled: {type(exc).__name__}: {describe(str(exc))}") from None


# ---- saving ----------------------------------------------------------------------------------

class TorchName:
    """A PyTorch global written into the pickle by name (torch is never imported to look it up)."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle wants a reduce function to be callable; this one only names torch's
        raise TypeError(f"{self.module}.{self.name} is PyTorch's; it exists here only as a name to write")


REBUILD_TENSOR = TorchName("torch._utils", "_rebuild_tensor_v2")
REBUILD_TENSOR_V3 = TorchName("torch._utils", "_rebuild_tensor_v3")
REBUILD_PARAMETER = TorchName("torch._utils", "_rebuild_parameter")
_STORAGE_OF = {np.dtype(dtype): TorchName("torch", name) for name, dtype in STORAGE_DTYPES.items()}
_UNTYPED = TorchName("torch.storage", "UntypedStorage")
_DTYPE_OF = {np.dtype(dtype): TorchName("torch", name) for name, dtype in DTYPES.items()}


class _Storage:
    """One storage to write: a contiguous host array (in memory order) and its key."""

    def __init__(self, root, key, location):
        self.root, self.key, self.location = root, key, location


class _PlainTensor:
    """A Parameter's data, pickled as the plain tensor inside torch's _rebuild_parameter."""

    def __init__(self, array):
        self.array = array


class _Storages:
    """Finds, for each array, the storage it views: arrays that view one NumPy buffer share it."""

    def __init__(self):
        self.by_root = {}

    def locate(self, array, location):
        """(storage, storage_offset, size, stride) of `array` (a host array), in elements."""
        root = array
        while isinstance(root.base, np.ndarray):
            root = root.base
        itemsize = array.dtype.itemsize
        offset = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        if not (root.dtype == array.dtype and array.dtype.isnative and array.size > 0
                and (root.flags.c_contiguous or root.flags.f_contiguous)
                and offset >= 0 and offset % itemsize == 0
                and all(s >= 0 and s % itemsize == 0 for s in array.strides)):
            array = root = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))  # a storage of its own
            offset = 0
        if id(root) not in self.by_root:
            self.by_root[id(root)] = _Storage(root, str(len(self.by_root)), location)
        stride = tuple(s // itemsize for s in array.strides)
        return self.by_root[id(root)], offset // itemsize, tuple(array.shape), stride


class _TorchPickler(pickle._Pickler):
    """Python's own (pure-Python) pickler, protocol 2, which can write a global by name: the C pickler
    insists on importing a global to check it, and torch must not be imported."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages = _Storages()

    def save_torch_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[TorchName] = save_torch_name

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            dtype = obj.root.dtype
            storage_type = _STORAGE_OF.get(dtype, _UNTYPED)
            numel = obj.root.size if storage_type is not _UNTYPED else obj.root.nbytes
            return ("storage", storage_type, obj.key, obj.location, numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            if type(obj) is Parameter:
                return REBUILD_PARAMETER, (_PlainTensor(obj.array), bool(obj.requires_grad), OrderedDict())
            if type(obj) is not Tensor:
                raise CheckpointError(f"save: a {type(obj).__name__} (a subclass of Tensor) cannot be saved; a "
                                      "checkpoint holds Tensors and Parameters")
            return self.tensor(obj.array, bool(obj.requires_grad))
        if isinstance(obj, _PlainTensor):
            return self.tensor(obj.array, False)
        if backend.is_array(obj) or isinstance(obj, np.generic):
            return self.tensor(obj, False)
        return NotImplemented

    def tensor(self, data, requires_grad):
        device = backend.device_of(data) if backend.is_array(data) else "cpu"
        host = np.asarray(backend.to_numpy(data) if backend.is_array(data) else data)
        if host.dtype.hasobject:
            raise CheckpointError("save: an array of Python objects cannot be saved in a checkpoint")
        check_dtype(host.dtype, "save: an array")
        if np.dtype(host.dtype.newbyteorder("=")) not in _DTYPE_OF:
            raise CheckpointError(f"save: an array of dtype {host.dtype} has no PyTorch dtype")
        location = "cuda:0" if device == "cuda" else "cpu"
        storage, offset, size, stride = self.storages.locate(host, location)
        hooks = OrderedDict()
        if _STORAGE_OF.get(storage.root.dtype) is None:  # uint16/32/64: untyped bytes and the dtype's name
            return REBUILD_TENSOR_V3, (storage, offset, size, stride, requires_grad, hooks,
                                       _DTYPE_OF[storage.root.dtype])
        return REBUILD_TENSOR, (storage, offset, size, stride, requires_grad, hooks)


def _aligned(archive, name, size):
    """A ZipInfo whose data starts at a multiple of ALIGNMENT, as torch's writer places every record."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = size
    zip64 = size * 1.05 > zipfile.ZIP64_LIMIT  # as ZipFile.open decides
    header = 30 + len(name.encode("utf-8")) + (20 if zip64 else 0) + 4
    pad = -(archive.fp.tell() + header) % ALIGNMENT
    info.extra = b"FB" + pad.to_bytes(2, "little") + b"Z" * pad
    return info


def save(obj, f):
    """Write `obj` to the binary file `f` in torch's zip format."""
    buffer = io.BytesIO()
    pickler = _TorchPickler(buffer)
    try:
        check_depth(obj, "save: obj")
        pickler.dump(obj)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
        raise CheckpointError(f"save: obj cannot be pickled: {exc}") from None
    records = [("data.pkl", buffer.getvalue()), (".format_version", b"1"), (".storage_alignment", b"64"),
               ("byteorder", sys.byteorder.encode())]
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in records:
            archive.writestr(_aligned(archive, f"archive/{name}", len(data)), data)
        for storage in pickler.storages.by_root.values():
            raw = storage.root.reshape(-1, order="A").view(np.uint8)
            with archive.open(_aligned(archive, f"archive/data/{storage.key}", raw.nbytes), "w") as dest:
                dest.write(memoryview(raw))
        archive.writestr(_aligned(archive, "archive/version", 2), b"3\n")

"""PyTorch's names in a checkpoint, and what each means here, without importing torch.

A torch.save pickle refers to tensors through a few of torch's globals:

    torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks)
    torch._utils._rebuild_parameter(tensor, requires_grad, hooks)
    torch.FloatStorage, torch.LongStorage, ...   the dtype of a storage
    ("storage", torch.FloatStorage, key, location, numel)   a persistent id: the record data/<key>

Each name maps to a function of this file that checks its arguments and
builds the library's value (a Tensor viewing the storage's NumPy array, a
Parameter, a NumPy dtype...). The same table serves the writer in reverse.
"""

import math
from collections import OrderedDict

from .. import backend
from ..nn.parameter import Parameter
from ..tensor import Tensor
from .error import CheckpointError, describe
from .unpickler import Private

np = backend.np

# storage class -> NumPy dtype (the tensor classes PyTorch's legacy storages stand for)
STORAGE_DTYPES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
    "ByteStorage": np.uint8, "BoolStorage": np.bool_,
    "ComplexFloatStorage": np.complex64, "ComplexDoubleStorage": np.complex128,
}
# torch dtype name -> NumPy dtype (the names torch.save writes for _rebuild_tensor_v3 and for dtypes in data)
DTYPES = {
    "float64": np.float64, "float32": np.float32, "float16": np.float16, "int64": np.int64,
    "int32": np.int32, "int16": np.int16, "int8": np.int8, "uint8": np.uint8, "bool": np.bool_,
    "complex64": np.complex64, "complex128": np.complex128,
    "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
}
UNSUPPORTED = {  # names torch writes for tensors this library has no way to hold
    "torch._utils._rebuild_qtensor": "a quantized tensor",
    "torch._utils._rebuild_sparse_tensor": "a sparse tensor",
    "torch.serialization._get_layout": "a sparse tensor",
    "torch._utils._rebuild_nested_tensor": "a nested tensor",
    "torch._utils._rebuild_meta_tensor_no_storage": "a meta tensor (no data)",
    "torch._utils._rebuild_wrapper_subclass": "a tensor subclass",
    "torch._utils._rebuild_device_tensor_from_numpy": "a tensor kept as a NumPy array for a device",
    "torch._utils._rebuild_device_tensor_from_cpu_tensor": "a tensor of another device (XLA, ...)",
}
for _name in ("BFloat16Storage", "QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage",
              "QUInt2x4Storage", "ComplexHalfStorage"):
    UNSUPPORTED[f"torch.{_name}"] = f"a {_name[:-7]} tensor (a dtype NumPy does not have)"
for _name in ("bfloat16", "complex32", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
              "qint8", "quint8", "qint32"):
    UNSUPPORTED[f"torch.{_name}"] = f"torch.{_name} (a dtype NumPy does not have)"


class StorageType(Private):
    """torch.FloatStorage and friends: which dtype a storage's bytes hold (None: untyped bytes)."""

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype

    def __repr__(self):
        return f"torch.{self.name}"


class Marker(Private):
    """torch.Tensor or torch.nn.Parameter named as a type (by _rebuild_from_type_v2)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


TENSOR, PARAMETER = Marker("torch.Tensor"), Marker("torch.nn.parameter.Parameter")


class Storage(Private):
    """A storage loaded from data/<key>: its values as a 1-d host array, and where it was saved.

    on(device) is that array on a device, copied there once however many tensors view it, so
    a file cannot make a GPU hold one storage a thousand times."""

    def __init__(self, array, location):
        self.array, self.location = array, location
        self._placed = {"cpu": array}

    def on(self, device):
        if device not in self._placed:
            self._placed[device] = backend.as_array(self.array, device=device)
        return self._placed[device]

    def __repr__(self):
        return f"a storage of {self.array.size} {self.array.dtype} values"


def _int(value, what):
    if type(value) is not int or not 0 <= value < 2 ** 62:
        raise CheckpointError(f"{what} is {describe(value)}; expected a non-negative int")
    return value


def _ints(values, what):
    if type(values) not in (tuple, list) or len(values) > 64:
        raise CheckpointError(f"{what} is {describe(values)}; expected a tuple of at most 64 ints")
    return tuple(_int(v, what) for v in values)


def _view(storage, offset, size, stride, what, device="cpu"):
    """The strided view of the storage's values on `device` that (storage_offset, size, stride) describes."""
    if not isinstance(storage, Storage):
        raise CheckpointError(f"{what} is rebuilt from {describe(storage)}, not a storage")
    offset, size, stride = _int(offset, f"{what}'s storage offset"), _ints(size, f"{what}'s size"), \
        _ints(stride, f"{what}'s stride")
    if len(size) != len(stride):
        raise CheckpointError(f"{what} has size {size} but stride {stride}")
    values = storage.array
    if math.prod(size) == 0:
        if offset > values.size:
            raise CheckpointError(f"{what} starts at element {offset} of a {values.size}-element storage")
        return backend.xp_for(device).zeros(size, dtype=values.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= values.size:
        raise CheckpointError(f"{what} of size {size}, stride {stride} and offset {offset} reaches element {last} "
                              f"of a {values.size}-element storage")
    strides = [s * values.dtype.itemsize for s in stride]
    if device == "cpu":
        return np.lib.stride_tricks.as_strided(values[offset:], shape=size, strides=strides,
                                               writeable=not _overlaps(size, stride))
    return backend.xp_for(device).lib.stride_tricks.as_strided(storage.on(device)[offset:], shape=size,
                                                               strides=strides)


def _overlaps(size, stride):
    """Whether two indices may share one element (an expand()ed tensor): such a view is made read-only."""
    reach = 0  # the furthest element the smaller strides reach
    for s, n in sorted((s, n) for n, s in zip(size, stride) if n > 1):
        if s <= reach:
            return True
        reach += (n - 1) * s
    return False


class Rebuilder:
    """The functions PyTorch's tensor globals stand for, for one load (its device mapping)."""

    def __init__(self, place):
        self.place = place  # (storage location, what) -> device

    def tensor(self, array, requires_grad, device, what, cls=Tensor):
        if type(requires_grad) is not bool:
            raise CheckpointError(f"{what} has requires_grad {describe(requires_grad)}; expected True or False")
        if requires_grad and array.dtype.kind != "f":
            raise CheckpointError(f"{what} of dtype {array.dtype} requires grad; only floating-point tensors can")
        # no copy: tensors that shared a storage in the file share it here too
        t = Tensor._make(backend.as_array(array, device=device))
        return t.requires_grad_(requires_grad) if cls is Tensor else cls(t, requires_grad=requires_grad)

    @staticmethod
    def _check_hooks(hooks, metadata, what):
        if type(hooks) not in (OrderedDict, dict) or hooks:
            raise CheckpointError(f"{what} carries backward hooks {describe(hooks)}, which a checkpoint cannot hold")
        if metadata is not None and (type(metadata) is not dict or metadata):
            raise CheckpointError(f"{what} carries tensor metadata {describe(metadata)} (a conjugate or negative "
                                  "view), which this library does not support")

    def rebuild_tensor_v2(self, storage, storage_offset, size, stride, requires_grad, backward_hooks,
                          metadata=None):
        self._check_hooks(backward_hooks, metadata, "a tensor")
        if not isinstance(storage, Storage):
            raise CheckpointError(f"a tensor is rebuilt from {describe(storage)}, not a storage")
        device = self.place(storage.location, "a tensor")
        view = _view(storage, storage_offset, size, stride, "a tensor", device)
        return self.tensor(view, requires_grad, device, "a tensor")

    def rebuild_tensor(self, storage, storage_offset, size, stride):
        return self.rebuild_tensor_v2(storage, storage_offset, size, stride, False, OrderedDict())

    def rebuild_tensor_v3(self, storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                          metadata=None):
        """For dtypes without a storage class (uint16...): the storage is untyped bytes, viewed as `dtype`."""
        if not isinstance(storage, Storage) or storage.array.dtype != np.uint8:
            raise CheckpointError(f"a tensor of dtype {describe(dtype)} is rebuilt from {describe(storage)}, not "
                                  "an untyped storage")
        if dtype not in DTYPES.values():
            raise CheckpointError(f"a tensor has dtype {describe(dtype)}, which is not a dtype")
        itemsize = np.dtype(dtype).itemsize
        if storage.array.size % itemsize:
            raise CheckpointError(f"an untyped storage of {storage.array.size} bytes does not hold whole "
                                  f"{np.dtype(dtype)} values")
        typed = Storage(storage.array.view(dtype), storage.location)
        return self.rebuild_tensor_v2(typed, storage_offset, size, stride, requires_grad, backward_hooks, metadata)

    def rebuild_parameter(self, data, requires_grad, backward_hooks):
        self._check_hooks(backward_hooks, None, "a parameter")
        if type(data) is not Tensor:
            raise CheckpointError(f"a parameter is rebuilt from {describe(data)}, not a tensor")
        return self.tensor(data.array, requires_grad, data.device, "a parameter", cls=Parameter)

    def rebuild_parameter_with_state(self, data, requires_grad, backward_hooks, state):
        if state:
            raise CheckpointError(f"a parameter carries Python attributes {describe(state)}, which a Parameter "
                                  "here cannot hold")
        return self.rebuild_parameter(data, requires_grad, backward_hooks)

    def rebuild_from_type_v2(self, func, new_type, args, state):
        """A tensor saved with its Python class: func(*args), then the class and its attributes."""
        rebuilders = (self.rebuild_tensor_v2, self.rebuild_tensor, self.rebuild_tensor_v3, self.rebuild_parameter,
                      self.rebuild_parameter_with_state)
        if func not in rebuilders or type(args) is not tuple:
            raise CheckpointError(f"_rebuild_from_type_v2 of {describe(func)}, which is not a tensor rebuild")
        if new_type is not TENSOR and new_type is not PARAMETER:
            raise CheckpointError(f"a tensor of class {describe(new_type)}, which this library does not have")
        if state:
            raise CheckpointError(f"a tensor carries Python attributes {describe(state)}, which a Tensor here "
                                  "cannot hold")
        result = func(*args)
        if new_type is PARAMETER and type(result) is Tensor:
            result = self.tensor(result.array, result.requires_grad, result.device, "a parameter", cls=Parameter)
        return result

    def globals(self):
        """{"module.name": object} for every PyTorch global a weights_only load of torch's format allows."""
        named = {
            "torch._utils._rebuild_tensor_v2": self.rebuild_tensor_v2,
            "torch._utils._rebuild_tensor": self.rebuild_tensor,
            "torch._utils._rebuild_tensor_v3": self.rebuild_tensor_v3,
            "torch._utils._rebuild_parameter": self.rebuild_parameter,
            "torch._utils._rebuild_parameter_with_state": self.rebuild_parameter_with_state,
            "torch._tensor._rebuild_from_type_v2": self.rebuild_from_type_v2,
            "torch.Size": _size,
            "torch.device": _device,
            "torch.Tensor": TENSOR,
            "torch.nn.parameter.Parameter": PARAMETER,
            "torch.storage.UntypedStorage": StorageType("UntypedStorage", np.uint8),
        }
        named.update({f"torch.{name}": StorageType(name, dtype) for name, dtype in STORAGE_DTYPES.items()})
        named.update({f"torch.{name}": dtype for name, dtype in DTYPES.items()})
        return named


def _size(dims=()):
    return _ints(dims, "a torch.Size")


def _device(kind, index=None):
    """torch.device("cuda", 0) as the library's "cuda"; a device it does not have keeps torch's spelling."""
    if type(kind) is not str or (index is not None and type(index) is not int):
        raise CheckpointError(f"torch.device({describe(kind)}, {describe(index)}) is not a device")
    name = kind.partition(":")[0]
    if name in backend.DEVICES:
        return name
    return kind if index is None else f"{kind}:{index}"


def refusal(name):
    """A clearer message for torch names that are not allowed."""
    if name in UNSUPPORTED:
        return f"it holds {UNSUPPORTED[name]} ({name}), which this library cannot represent"
    if name.split(".")[0] == "torch":
        return (f"it refers to {name}, a PyTorch object this library cannot rebuild (it never imports torch); "
                "save plain data, such as model.state_dict(), to exchange checkpoints with PyTorch")
    return None

"""The library's own checkpoint format: a stored zip of a JSON manifest and .npy arrays.

    manifest.json   {"format": "tinygrad_rnn.checkpoint", "version": 2, "arrays": n, "root": <node>}
    arrays/<i>.npy  every array and tensor, as a host NumPy array (numeric and bool dtypes only)
    data.pkl        only for a whole object (below)

A node of the manifest describes one value of the saved structure:

    null, true/false, numbers, strings        themselves (JSON's own)
    {"float": "nan" | "inf" | "-inf"}          the floats JSON has no spelling for
    {"list": [node, ...]}  {"tuple": [node, ...]}
    {"dict": [[key, node], ...]}  {"ordered_dict": [[key, node], ...]}   keys str or int, order kept
    {"tensor": i, "device": d, "requires_grad": b, "parameter": b}      arrays/<i>.npy as a Tensor
    {"array": i, "device": d}  {"scalar": i}                 as a NumPy (or CuPy) array, a NumPy scalar

so loading data (state_dicts of modules, optimizers and schedulers, NumPy
arrays, nested containers) parses JSON and reads raw arrays, nothing else.
Anything else (a whole Module, a set, bytes, a user's class) is pickled, as
PyTorch does: the root is then {"pickle": "data.pkl"}, a protocol-2 pickle in
which every Tensor, array and NumPy scalar is a persistent id
("tensor", i, device, requires_grad, is_parameter) / ("array", i, device) /
("scalar", i) pointing into arrays/, and loading it goes through the
allow-listed unpickler. Version 1 (no ordered_dict, parameter or pickle) is
still read.
"""

import io
import json
import math
import pickle
import zipfile
from collections import OrderedDict

from .. import backend
from ..nn.parameter import Parameter
from ..tensor import Tensor
from . import allow_list
from .error import MAX_DEPTH, MAX_RECORD_BYTES, CheckpointError, describe
from .npy import check_dtype, read_npy, write_npy
from .placement import target_device
from .unpickler import DEFAULT_GLOBALS, RestrictedUnpickler, check_depth, check_key

np = backend.np

FORMAT = "tinygrad_rnn.checkpoint"
VERSION = 2
READS = (1, 2)
MANIFEST = "manifest.json"
PICKLE = "data.pkl"


# ---- saving --------------------------------------------------------------------------------

def host_array(value, where):
    """(host NumPy array, device) of a Tensor, a NumPy/CuPy array or a NumPy scalar."""
    data = value.array if isinstance(value, Tensor) else value
    host = np.asarray(backend.to_numpy(data) if backend.is_array(data) else data)
    if host.dtype.hasobject:
        raise CheckpointError(f"save: {where} is an array of Python objects, which a checkpoint cannot hold")
    check_dtype(host.dtype, f"save: {where}")
    return host, (backend.device_of(data) if backend.is_array(data) else "cpu")


def is_array_like(value):
    return isinstance(value, Tensor) or backend.is_array(value) or isinstance(value, np.generic)


def check_tensor_type(value, where):
    if type(value) not in (Tensor, Parameter):
        raise CheckpointError(f"save: {where} is a {type(value).__name__}, a subclass of Tensor; a checkpoint "
                              "holds Tensors and Parameters, whose class it records")


class _Arrays:
    """The arrays/<i>.npy members, each value written once however often it appears."""

    def __init__(self, archive):
        self.archive, self.index = archive, {}

    def add(self, value, where):
        key = id(value)
        if key not in self.index:
            host, _ = host_array(value, where)
            i = len(self.index)
            with self.archive.open(f"arrays/{i}.npy", "w", force_zip64=True) as f:
                write_npy(f, host)
            self.index[key] = (i, value)  # the value is held so that its id stays its own
        return self.index[key][0]


MAX_EXPANDED_NODES = 10_000_000  # a manifest writes shared containers once per use


def is_plain_data(obj):
    """True when the manifest can spell `obj`: data only, no cycle, not too deep, not a DAG that explodes."""
    expanded, active = {}, set()
    stack = [(obj, 0, False)]
    while stack:
        value, depth, leaving = stack.pop()
        if leaving:
            active.discard(id(value))
            children = value.values() if isinstance(value, dict) else value
            expanded[id(value)] = 1 + sum(expanded.get(id(c), 1) for c in children)
            if expanded[id(value)] > MAX_EXPANDED_NODES:
                return False
            continue
        if value is None or type(value) in (bool, int, float, str):
            continue
        if is_array_like(value):
            if isinstance(value, Tensor) and type(value) not in (Tensor, Parameter):
                return False
            continue
        if type(value) not in (list, tuple, dict, OrderedDict) or depth >= MAX_DEPTH or id(value) in active:
            return False  # another type, too deep, or a cycle: only a pickle can hold it
        if id(value) in expanded:
            continue
        if isinstance(value, dict) and not all(type(k) is str or (type(k) is int and k.bit_length() <= 64)
                                               for k in value):
            return False
        active.add(id(value))
        stack.append((value, depth, True))
        stack.extend((v, depth + 1, False) for v in (value.values() if isinstance(value, dict) else value))
    return True


def save(obj, f):
    """Write `obj` to the binary file `f` in the library's format."""
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
        arrays = _Arrays(archive)
        if is_plain_data(obj):
            root = _encode(obj, arrays, "obj", 0)
        else:
            _check_picklable(obj)
            archive.writestr(PICKLE, _pickle(obj, arrays))
            root = {"pickle": PICKLE}
        manifest = {"format": FORMAT, "version": VERSION, "arrays": len(arrays.index), "root": root}
        archive.writestr(MANIFEST, json.dumps(manifest, allow_nan=False))


def _encode(value, arrays, where, depth):
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, Tensor):
        node = {"tensor": arrays.add(value, where), "device": str(value.device),
                "requires_grad": bool(value.requires_grad)}
        if type(value) is Parameter:
            node["parameter"] = True
        return node
    if isinstance(value, np.generic):
        return {"scalar": arrays.add(value, where)}
    if backend.is_array(value):
        return {"array": arrays.add(value, where), "device": backend.device_of(value)}
    if isinstance(value, dict):
        items = [[k, _encode(v, arrays, f"{where}[{k!r}]", depth + 1)] for k, v in value.items()]
        return {"ordered_dict" if type(value) is OrderedDict else "dict": items}
    nodes = [_encode(v, arrays, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
    return {"list" if type(value) is list else "tuple": nodes}


def _check_picklable(obj):
    """Refuse, at save time, what a weights_only load would refuse for its shape."""
    stack, seen = [obj], set()
    while stack:
        value = stack.pop()
        if id(value) in seen or is_array_like(value):
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            for k in value:
                check_key(k, "save: obj")
            stack.extend(value.values())
        elif isinstance(value, (set, frozenset)):
            for k in value:
                check_key(k, "save: obj")
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif type(getattr(value, "__dict__", None)) is dict:
            stack.extend(vars(value).values())
    try:
        check_depth(obj, "save: obj")
    except CheckpointError as exc:
        raise CheckpointError(str(exc)) from None


class _Pickler(pickle.Pickler):
    """Protocol 2, with every Tensor, array and NumPy scalar kept out of the pickle as a persistent id."""

    def __init__(self, file, arrays):
        super().__init__(file, protocol=2)
        self.arrays = arrays

    def persistent_id(self, obj):
        if isinstance(obj, Tensor):
            check_tensor_type(obj, "obj")
            return ("tensor", self.arrays.add(obj, "a tensor"), str(obj.device), bool(obj.requires_grad),
                    type(obj) is Parameter)
        if isinstance(obj, np.generic):
            return ("scalar", self.arrays.add(obj, "a NumPy scalar"))
        if backend.is_array(obj):
            return ("array", self.arrays.add(obj, "an array"), backend.device_of(obj))
        return None


def _pickle(obj, arrays):
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, arrays).dump(obj)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
        raise CheckpointError(f"save: obj cannot be pickled: {exc}") from None
    return buffer.getvalue()


# ---- loading --------------------------------------------------------------------------------

class _Reader:
    def __init__(self, zip_reader, name, map_location, weights_only):
        self.zip, self.name, self.map_location, self.weights_only = zip_reader, name, map_location, weights_only
        self.arrays, self.placed, self.objects, self.count = {}, {}, {}, None

    def fail(self, what):
        raise CheckpointError(f"load: {self.name} is damaged: {what}")

    def load(self):
        if MANIFEST not in self.zip:
            raise CheckpointError(f"load: {self.name} is a zip archive but not a checkpoint: it has no {MANIFEST} "
                                  "(the library's format) and no data.pkl (PyTorch's)")
        if self.zip.size(MANIFEST) > MAX_RECORD_BYTES:
            self.fail(f"its {MANIFEST} is {self.zip.size(MANIFEST)} bytes, above the {MAX_RECORD_BYTES}-byte limit")
        try:
            manifest = json.loads(bytes(self.zip.read(MANIFEST)).decode("utf-8"))
        except CheckpointError:
            raise
        except Exception as exc:  # JSONDecodeError, UnicodeDecodeError, RecursionError, a too-long int
            self.fail(f"its {MANIFEST} is not valid JSON ({type(exc).__name__}: {describe(str(exc))})")
        if type(manifest) is not dict or manifest.get("format") != FORMAT:
            raise CheckpointError(f"load: {self.name} is not a tinygrad_rnn checkpoint: its {MANIFEST} does not "
                                  f"declare format {FORMAT!r}")
        version = manifest.get("version")
        if type(version) is not int or version not in READS:
            raise CheckpointError(f"load: {self.name} is checkpoint format version {describe(version)}; this "
                                  f"library reads versions {', '.join(map(str, READS))}")
        self.version = version
        extra = set(manifest) - {"format", "version", "arrays", "root"}
        if extra or "root" not in manifest:
            self.fail(f"its {MANIFEST} has keys {sorted(manifest)}; expected format, version, arrays, root")
        if "arrays" in manifest:
            self.count = manifest["arrays"]
            if type(self.count) is not int or self.count < 0:
                self.fail(f"its {MANIFEST} declares {describe(self.count)} arrays; expected a count")
        root = manifest["root"]
        if version >= 2 and type(root) is dict and set(root) == {"pickle"}:
            if root["pickle"] != PICKLE:
                self.fail(f"its root names the pickle {describe(root['pickle'])}; expected {PICKLE!r}")
            return self.unpickle()
        return self.decode(root, 0)

    # ---- arrays ----
    def array(self, i):
        if type(i) is not int or i < 0 or (self.count is not None and i >= self.count):
            self.fail(f"it refers to array {describe(i)}, which is not one of its arrays")
        if i not in self.arrays:
            name = f"arrays/{i}.npy"
            if name not in self.zip:
                self.fail(f"array {name} listed in the manifest is missing")
            data = self.zip.read(name)  # its errors name the file already
            try:
                self.arrays[i] = read_npy(data, name)
            except CheckpointError as exc:
                self.fail(str(exc))
        return self.arrays[i]

    def device(self, saved):
        if saved not in backend.DEVICES:
            self.fail(f"a value was saved on device {describe(saved)}; expected 'cpu' or 'cuda'")
        return target_device(saved, self.map_location, f"load: {self.name}")

    def tensor(self, i, device, requires_grad, parameter):
        if type(requires_grad) is not bool or type(parameter) is not bool:
            self.fail(f"a tensor has requires_grad {describe(requires_grad)} and parameter {describe(parameter)}; "
                      "expected True or False")
        host = self.array(i)
        if requires_grad and host.dtype.kind != "f":
            self.fail(f"array {i} of dtype {host.dtype} is marked requires_grad; only floating-point tensors "
                      "require gradients")
        cls = Parameter if parameter else Tensor
        array = self.on_device(i, device)
        return cls(array, dtype=array.dtype, requires_grad=requires_grad)

    def on_device(self, i, device):
        """Array i on its target device, copied there once however many entries name it."""
        device = self.device(device)
        if (i, device) not in self.placed:
            self.placed[i, device] = backend.as_array(self.array(i), device=device)
        return self.placed[i, device]

    def scalar(self, i):
        host = self.array(i)
        if host.ndim != 0:
            self.fail(f"scalar {i} has shape {host.shape}; a NumPy scalar has shape ()")
        return host[()]

    # ---- the manifest's nodes ----
    def decode(self, node, depth):
        if depth > MAX_DEPTH:
            self.fail(f"its manifest nests more than {MAX_DEPTH} deep")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is not dict or len(node) == 0:
            self.fail(f"unexpected manifest entry {describe(node)}")
        keys = set(node)
        kind = next((k for k in _NODE_KEYS if k in node), None)
        if kind is None or not keys <= _NODE_KEYS[kind][0] | _NODE_KEYS[kind][1] or not keys >= _NODE_KEYS[kind][0]:
            self.fail(f"unexpected manifest entry {describe(node)}")
        if self.version < 2 and (kind == "ordered_dict" or "parameter" in node):
            self.fail(f"manifest entry {describe(node)} is not part of format version 1")
        value = node[kind]
        if kind in ("dict", "ordered_dict"):
            if type(value) is not list:
                self.fail(f"a {kind} entry holds {describe(value)}; expected a list of [key, value] pairs")
            out = {} if kind == "dict" else OrderedDict()
            for item in value:
                if type(item) is not list or len(item) != 2:
                    self.fail(f"a {kind} item is {describe(item)}; expected a [key, value] pair")
                key = item[0]
                if type(key) is not str and not (type(key) is int and key.bit_length() <= 64):
                    self.fail(f"a {kind} key is {describe(key)}; keys are str or int")
                out[key] = self.decode(item[1], depth + 1)
            return out
        if kind in ("list", "tuple"):
            if type(value) is not list:
                self.fail(f"a {kind} entry holds {describe(value)}; expected a list")
            items = [self.decode(v, depth + 1) for v in value]
            return items if kind == "list" else tuple(items)
        if kind == "float":
            if value not in ("nan", "inf", "-inf"):
                self.fail(f"a float entry holds {describe(value)}; expected 'nan', 'inf' or '-inf'")
            return float(value)
        if kind == "scalar":
            if node.get("device", "cpu") != "cpu":  # version 1 wrote "cpu" beside every scalar
                self.fail(f"a NumPy scalar was saved on device {describe(node['device'])}; scalars live on the CPU")
            return self.scalar(value)
        if kind == "array":
            return self.on_device(value, node["device"])
        return self.tensor(value, node["device"], node["requires_grad"], node.get("parameter", False))

    # ---- a pickled root ----
    def persistent_load(self, pid):
        key = pid if type(pid) is tuple and all(type(p) in (str, int, bool) for p in pid) else None
        if key is None:
            self.fail(f"its pickle has the persistent id {describe(pid)}; expected a tuple")
        if key not in self.objects:
            kind, args = key[0], key[1:]
            if kind == "tensor" and len(args) == 4:
                self.objects[key] = self.tensor(args[0], args[1], args[2], args[3])
            elif kind == "array" and len(args) == 2:
                self.objects[key] = self.on_device(*args)
            elif kind == "scalar" and len(args) == 1:
                self.objects[key] = self.scalar(args[0])
            else:
                self.fail(f"its pickle has the persistent id {describe(pid)}, which is not a tensor, array or "
                          "scalar of this format")
        return self.objects[key]

    def unpickle(self):
        if PICKLE not in self.zip:
            self.fail(f"its manifest names {PICKLE}, which is missing")
        if self.zip.size(PICKLE) > MAX_RECORD_BYTES:
            self.fail(f"its {PICKLE} is {self.zip.size(PICKLE)} bytes, above the {MAX_RECORD_BYTES}-byte limit")
        data = self.zip.read(PICKLE)
        if not self.weights_only:
            return _full_unpickle(data, self.persistent_load, self.name)
        allowed = {**DEFAULT_GLOBALS, **allow_list.user_globals()}
        return RestrictedUnpickler(data, allowed, self.persistent_load, f"load: {self.name}: {PICKLE}").load()


_NODE_KEYS = {  # kind: (required keys, optional keys)
    "dict": ({"dict"}, set()), "ordered_dict": ({"ordered_dict"}, set()), "list": ({"list"}, set()),
    "tuple": ({"tuple"}, set()), "float": ({"float"}, set()), "scalar": ({"scalar"}, {"device"}),
    "array": ({"array", "device"}, set()), "tensor": ({"tensor", "device", "requires_grad"}, {"parameter"}),
}


def _full_unpickle(data, persistent_load, name):
    """weights_only=False: Python's own unpickler, which runs whatever the file asks. Unsafe."""

    class Unpickler(pickle.Unpickler):
        def persistent_load(self, pid):
            return persistent_load(pid)

    try:
        return Unpickler(io.BytesIO(bytes(data))).load()
    except CheckpointError:
        raise
    except Exception as exc:
        raise CheckpointError(f"load: {name}: {PICKLE} cannot be unpickled: {type(exc).__name__}: "
                              f"{describe(str(exc))}") from None


def load(zip_reader, name, map_location, weights_only):
    return _Reader(zip_reader, name, map_location, weights_only).load()

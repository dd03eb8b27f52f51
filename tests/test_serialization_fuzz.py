"""Fuzzing tr.load with mutations of valid checkpoints in both formats: truncations, byte flips,
member renames, zip and .npy header edits, manifest and pickle edits.

Each load must end in CheckpointError or a correct object, within hypothesis's deadline:
- a mutation of the raw bytes (truncation, flips, header fields, renames) leaves the CRC-32s
  as they were, so what loads must equal the original checkpoint exactly;
- an edit that rewrites a member with a fresh CRC (the manifest, a .npy header, the pickle)
  makes a new, valid-looking file, so what loads must be well formed: only the values a
  checkpoint holds (Tensors of numbers, NumPy arrays, scalars, strings, containers)."""

import io
import json
import pathlib
import zipfile
from collections import Counter, OrderedDict
from datetime import timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_rnn as tr
from tinygrad_rnn import nn

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
FUZZ = settings(max_examples=110, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow],
                database=None)


def original():
    base = tr.tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    return {"w": base, "row": base[1], "b": tr.tensor(np.array([0.5, -1.0]), requires_grad=True),
            "p": nn.Parameter(tr.ones(2)), "a": np.arange(4, dtype=np.int16), "s": np.float64(2.5),
            "n": [1, 2.5, "text", None, True], "od": OrderedDict(z=1, a=(0.9, 0.99)), 3: {"step": 7}}


def saved(obj, **kwargs):
    buffer = io.BytesIO()
    tr.save(obj, buffer, **kwargs)
    return buffer.getvalue()


CHECKPOINTS = {
    "library": saved(original()),
    "library pickle": saved({**original(), "set": {1, 2}, "bytes": b"raw"}),
    "torch": saved(original(), format="torch"),
    "torch.save": (FIXTURES / "torch_gru_cell.pt").read_bytes(),
}
LOADED = {name: tr.load(io.BytesIO(data)) for name, data in CHECKPOINTS.items()}


# ---- oracles ------------------------------------------------------------------------------------

def same(a, b):
    """Exact equality of loaded values: types, dtypes, shapes, bits, requires_grad."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tr.Tensor):
        return a.requires_grad == b.requires_grad and same(a.numpy(), b.numpy())
    if isinstance(a, (np.ndarray, np.generic)):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


SCALARS = (type(None), bool, int, float, complex, str, bytes, bytearray)


def well_formed(value, depth=0):
    """Only values a checkpoint can hold, at a depth a reader can walk."""
    assert depth <= 200
    if isinstance(value, tr.Tensor):
        assert type(value) in (tr.Tensor, nn.Parameter) and value.dtype.kind in "biufc"
        assert not value.requires_grad or value.dtype.kind == "f"
        value.numpy()
    elif isinstance(value, (np.ndarray, np.generic)):
        assert value.dtype.kind in "biufc"
    elif isinstance(value, (dict, OrderedDict, Counter)):
        for v in value.values():
            well_formed(v, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            well_formed(v, depth + 1)
    else:  # or a class of the default allow-list itself, which a pickle may name as a value (as in PyTorch)
        assert isinstance(value, SCALARS) or value in (OrderedDict, Counter) or (
            isinstance(value, type) and issubclass(value, np.generic)), type(value)


def load(data):
    try:
        return tr.load(io.BytesIO(data))
    except tr.CheckpointError as exc:
        assert str(exc).startswith("load: <BytesIO object>")
        return exc


def check_exact(name, data):
    result = load(data)
    assert isinstance(result, tr.CheckpointError) or same(result, LOADED[name])


def check_well_formed(data):
    result = load(data)
    if not isinstance(result, tr.CheckpointError):
        well_formed(result)


# ---- zip surgery --------------------------------------------------------------------------------

def members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rebuilt(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def header_offsets(data):
    """Where every local header, central entry and the end record starts."""
    found, at = [], data.find(b"PK")
    while at >= 0:
        if data[at:at + 4] in (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"):
            found.append(at)
        at = data.find(b"PK", at + 1)
    return found


names = st.sampled_from(sorted(CHECKPOINTS))


@st.composite
def raw_mutation(draw):
    """(checkpoint name, mutated bytes) with every CRC left as it was."""
    name = draw(names)
    data = bytearray(CHECKPOINTS[name])
    kind = draw(st.sampled_from(["truncate", "flip", "header", "rename"]))
    if kind == "truncate":
        return name, bytes(data[:draw(st.integers(0, len(data) - 1))])
    if kind == "flip":
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
        return name, bytes(data)
    if kind == "header":  # overwrite 1, 2 or 4 bytes of one field of one zip header
        start = draw(st.sampled_from(header_offsets(bytes(data))))
        field = start + draw(st.integers(4, 45 if data[start + 2] == 1 else 29 if data[start + 2] == 3 else 21))
        width = draw(st.sampled_from([1, 2, 4]))
        value = draw(st.sampled_from([0, 1, 0xFF, 0xFFFF, 0xFFFFFFFF, 2 ** 31, draw(st.integers(0, 2 ** 32 - 1))]))
        data[field:field + width] = (value % 256 ** width).to_bytes(width, "little")
        return name, bytes(data[:len(CHECKPOINTS[name])])
    entries = members(bytes(data))
    old = draw(st.sampled_from(sorted(entries)))
    new = draw(st.sampled_from(sorted(entries)) | st.just(old[:-1] + "x")
                    | st.text("abcdefghijklmnopqrstuvwxyz0123456789/._", min_size=1, max_size=12))
    renamed = {(new if k == old else k): v for k, v in entries.items() if k == old or k != new}
    return name, rebuilt(renamed)


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False)
                    | st.text(max_size=8) | st.sampled_from(["cpu", "cuda", "nan", "data.pkl", "tensor"]),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["tensor", "array", "device", "requires_grad", "dict", "list", "tuple",
                                         "scalar", "float", "parameter", "ordered_dict", "pickle", "x"]),
                        inner, max_size=3), max_leaves=8)


def edit_json(node, draw):
    """`node` with one value somewhere in it replaced by random JSON."""
    if isinstance(node, (dict, list)) and node and draw(st.integers(0, 3)):
        keys = sorted(node) if isinstance(node, dict) else list(range(len(node)))
        key = draw(st.sampled_from(keys))
        copy = dict(node) if isinstance(node, dict) else list(node)
        copy[key] = edit_json(node[key], draw)
        return copy
    return draw(JSON)


@st.composite
def rewritten_member(draw):
    """Bytes of a checkpoint with one member edited and its CRC made right again."""
    name = draw(names)
    entries = members(CHECKPOINTS[name])
    if "manifest.json" in entries and draw(st.booleans()):
        manifest = json.loads(entries["manifest.json"])
        key = draw(st.sampled_from(["root"] * 6 + ["version", "arrays", "format"]))
        manifest[key] = edit_json(manifest[key], draw)
        entries["manifest.json"] = json.dumps(manifest)
    elif any(k.endswith(".npy") for k in entries) and draw(st.booleans()):
        member = draw(st.sampled_from(sorted(k for k in entries if k.endswith(".npy"))))
        text = bytearray(entries[member])
        header_end = text.index(b"\n")
        at = draw(st.integers(10, header_end))
        text[at:at + 1] = draw(st.sampled_from([b"0", b"9", b"(", b")", b",", b"'", b"U", b"O", b">", b"2", b" "]))
        entries[member] = bytes(text)
    else:
        pickled = next(k for k in entries if k.endswith("data.pkl")) if any(
            k.endswith("data.pkl") for k in entries) else draw(st.sampled_from(sorted(entries)))
        data = bytearray(entries[pickled])
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, max(len(data) - 1, 0)))
            how = draw(st.sampled_from(["flip", "insert", "delete"]))
            if how == "flip" and data:
                data[at] ^= draw(st.integers(1, 255))
            elif how == "insert":
                data[at:at] = bytes([draw(st.integers(0, 255))])
            elif data:
                del data[at]
        entries[pickled] = bytes(data)
    return rebuilt(entries)


# ---- the tests -----------------------------------------------------------------------------------

@FUZZ
@given(raw_mutation())
def test_raw_mutations_load_the_original_or_raise_the_checkpoint_error(mutation):
    check_exact(*mutation)


@FUZZ
@given(rewritten_member())
def test_rewritten_members_load_a_well_formed_object_or_raise_the_checkpoint_error(data):
    check_well_formed(data)


LEGACY = (FIXTURES / "torch_legacy.pt").read_bytes()


@settings(FUZZ, max_examples=40)
@given(st.integers(0, len(LEGACY) - 1), st.integers(1, 255), st.integers(1, len(LEGACY)))
def test_mutations_of_the_legacy_format_load_a_well_formed_object_or_raise(at, xor, keep):
    """The legacy format has no CRC: a flipped byte can make another valid file."""
    data = bytearray(LEGACY)
    data[at] ^= xor
    check_well_formed(bytes(data[:keep]))

"""A loader no file can break: every malformed or hostile file ends in CheckpointError naming the
file and what is wrong, without hanging, running its code, or using memory beyond a small multiple
of its size."""

import io
import json
import os
import pathlib
import socket
import stat
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import serialization
from tinygrad_rnn.serialization import library_format

CE = tr.CheckpointError
FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def valid(tmp_path, obj=None, name="c.ckpt", **kwargs):
    path = tmp_path / name
    tr.save({"w": tr.ones(1000), "n": 3} if obj is None else obj, path, **kwargs)
    return path


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def library_zip(path, root, npys=(), pickled=None, **manifest):
    members = {"manifest.json": json.dumps({"format": "tinygrad_rnn.checkpoint", "version": 2, "root": root,
                                            **manifest})}
    for i, array in enumerate(npys):
        members[f"arrays/{i}.npy"] = array
    if pickled is not None:
        members["data.pkl"] = pickled
    return write_zip(path, members)


def npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def npy_header(header, body=b""):
    text = (repr(header) + " " * 64)[:((len(repr(header)) + 10) // 64 + 1) * 64 - 10] + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1") + body


def pickled_library(tmp_path, data, name="p.ckpt"):
    return library_zip(tmp_path / name, {"pickle": "data.pkl"}, pickled=data)


def torch_zip(path, data_pkl, records=None):
    members = {"archive/data.pkl": data_pkl, "archive/version": b"3\n"}
    members.update({f"archive/data/{k}": v for k, v in (records or {}).items()})
    return write_zip(path, members)


def storage_tensor(storage_type=b"FloatStorage", numel=2, offset=0, size=(2,), stride=(1,)):
    """A protocol-2 pickle of one torch tensor over storage '0', with the given geometry."""
    def ints(values):
        return b"(" + b"".join(b"J" + struct.pack("<i", v) for v in values) + b"t"
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\n" + storage_type +
            b"\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuJ" + struct.pack("<i", numel) + b"tQJ" +
            struct.pack("<i", offset) + ints(size) + ints(stride) +
            b"\x89ccollections\nOrderedDict\n)RtR.")


def refused(path, match, **kwargs):
    with pytest.raises(CE, match=match) as info:
        tr.load(path, **kwargs)
    assert serialization.files.display_name(path) in str(info.value)  # the file is named
    return info.value


# ---- what the file is ------------------------------------------------------------------------

def test_a_fifo_is_refused_without_opening_it(tmp_path):
    os.mkfifo(tmp_path / "pipe")  # opening it for reading would block until a writer came
    refused(tmp_path / "pipe", r"pipe is a FIFO \(named pipe\), not a regular file")


def test_a_symlink_to_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    os.symlink(tmp_path / "pipe", tmp_path / "link.pt")
    refused(tmp_path / "link.pt", r"link.pt is a FIFO")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused_as_a_path_and_as_an_open_file():
    refused("/dev/zero", r"/dev/zero is a character device, not a regular file")
    with open("/dev/zero", "rb") as f:
        refused(f, r"/dev/zero is an open character device, not a regular file")


def test_a_directory_is_refused(tmp_path):
    refused(tmp_path, r"is a directory, not a regular file")


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        assert stat.S_ISSOCK(os.stat(path).st_mode)
        refused(path, r"s is a socket, not a regular file")


def test_an_empty_file_is_refused(tmp_path):
    (tmp_path / "e").write_bytes(b"")
    refused(tmp_path / "e", r"e is not a checkpoint: it is empty")


def test_garbage_is_refused(tmp_path):
    (tmp_path / "garbage.bin").write_bytes(os.urandom(256))
    refused(tmp_path / "garbage.bin", r"garbage.bin is not a checkpoint: it is neither a zip archive nor a legacy")


def test_a_tar_archive_is_refused(tmp_path):
    import tarfile
    with tarfile.open(tmp_path / "t.tar", "w") as archive:
        archive.add(valid(tmp_path), arcname="c")
    refused(tmp_path / "t.tar", r"t.tar is a tar archive")


def test_a_foreign_zip_is_refused(tmp_path):
    np.savez(tmp_path / "data.npz", x=np.zeros(2))
    refused(tmp_path / "data.npz", r"data.npz is a zip archive but not a checkpoint: it has no manifest.json")


def test_a_torchscript_archive_is_refused(tmp_path):
    torch_zip(tmp_path / "s.pt", b"\x80\x02N.")
    with zipfile.ZipFile(tmp_path / "s.pt", "a") as archive:
        archive.writestr("archive/constants.pkl", b"\x80\x02).")
    refused(tmp_path / "s.pt", r"s.pt is a TorchScript archive")


def test_a_file_object_that_cannot_seek_is_refused():
    class Stream(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            return 0

        def seek(self, *args):
            raise io.UnsupportedOperation("not seekable")

    refused(Stream(), r"cannot be read as a checkpoint: it is not seekable")


# ---- the zip container ------------------------------------------------------------------------

@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.6, 0.99])
def test_a_truncated_file_is_refused(tmp_path, fraction):
    path = valid(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:max(1, int(len(data) * fraction))])
    refused(path, r"c.ckpt (is not a valid checkpoint archive: it has no zip end record \(truncated\?\)|is not a "
                  r"checkpoint)")


def test_compressed_members_are_refused(tmp_path):
    members = {"manifest.json": json.dumps({"format": "tinygrad_rnn.checkpoint", "version": 2, "root": 1})}
    write_zip(tmp_path / "z.ckpt", members, compression=zipfile.ZIP_DEFLATED)
    refused(tmp_path / "z.ckpt", r"member 'manifest.json' is compressed \(method 8\); checkpoint members are "
                                 r"stored uncompressed")


def test_a_declared_size_beyond_the_file_is_refused(tmp_path):
    path = valid(tmp_path)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    data[at + 20:at + 28] = struct.pack("<II", 2 ** 31, 2 ** 31)  # compressed and uncompressed sizes
    path.write_bytes(bytes(data))
    refused(path, r"declares 2147483648 bytes at offset 0, beyond what the \d+-byte file holds")


def test_a_central_directory_larger_than_the_file_is_refused(tmp_path):
    path = valid(tmp_path)
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 10:end + 12] = struct.pack("<H", 60000)  # entries
    path.write_bytes(bytes(data))
    refused(path, r"its central directory declares 60000 members in \d+ bytes, which the file does not hold")


def test_two_names_for_the_same_bytes_are_refused(tmp_path):
    path = write_zip(tmp_path / "o.ckpt", {"manifest.json": b"{}"})
    data = bytearray(path.read_bytes())
    start = data.find(b"PK\x01\x02")
    end = data.rfind(b"PK\x05\x06")
    entry = bytes(data[start:end])
    twin = entry.replace(b"manifest.json", b"manifest.jsoN")
    cd_size, cd_offset = struct.unpack_from("<II", data, end + 12)
    tail = bytearray(data[end:])
    struct.pack_into("<HHI", tail, 8, 2, 2, cd_size * 2)
    path.write_bytes(bytes(data[:end]) + twin + bytes(tail))
    refused(path, r"(overlaps the next one|has another name in its local header)")


def test_a_repeated_member_name_is_refused(tmp_path):
    path = write_zip(tmp_path / "d.ckpt", {"manifest.json": b"{}", "manifest.jsoN": b"{}"})
    data = path.read_bytes().replace(b"manifest.jsoN", b"manifest.json")
    path.write_bytes(data)
    refused(path, r"member 'manifest.json' appears twice")


def test_an_encrypted_member_is_refused(tmp_path):
    path = valid(tmp_path)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    data[at + 8] |= 1
    path.write_bytes(bytes(data))
    refused(path, r"is encrypted")


def test_damaged_bytes_fail_the_crc_check(tmp_path):
    path = valid(tmp_path)
    data = bytearray(path.read_bytes())
    data[600] ^= 0xFF  # inside the stored array
    path.write_bytes(bytes(data))
    refused(path, r"member 'arrays/0.npy' fails its CRC-32 check \(its bytes are damaged\)")


def test_zip64_records_are_read(tmp_path, monkeypatch):
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # ZipFile writes zip64 end records past this
    path = valid(tmp_path, {"a": np.arange(3), "b": np.ones(2)})
    assert b"PK\x06\x06" in path.read_bytes()
    assert tr.load(path)["a"].tolist() == [0, 1, 2]


# ---- the library's manifest and arrays --------------------------------------------------------

def tensor_node(**changes):
    return {"tensor": 0, "device": "cpu", "requires_grad": False, **changes}


@pytest.mark.parametrize("root,match", [
    (tensor_node(requires_grad="no"), r"a tensor has requires_grad 'no' and parameter False; expected True or False"),
    (tensor_node(requires_grad=1), r"a tensor has requires_grad 1 and"),
    (tensor_node(tensor="0"), r"it refers to array '0', which is not one of its arrays"),
    (tensor_node(tensor=-1), r"it refers to array -1"),
    (tensor_node(tensor=True), r"it refers to array True"),
    (tensor_node(device="tpu"), r"a value was saved on device 'tpu'; expected 'cpu' or 'cuda'"),
    (tensor_node(device=["cpu"]), r"a value was saved on device \['cpu'\]"),
    (tensor_node(extra=1), r"unexpected manifest entry"),
    ({"dict": {"a": 1}}, r"a dict entry holds \{'a': 1\}; expected a list of \[key, value\] pairs"),
    ({"dict": [["a", 1, 2]]}, r"a dict item is \['a', 1, 2\]; expected a \[key, value\] pair"),
    ({"dict": [[[1], 1]]}, r"a dict key is \[1\]; keys are str or int"),
    ({"dict": [[True, 1]]}, r"a dict key is True"),
    ({"list": "abc"}, r"a list entry holds 'abc'; expected a list"),
    ({"float": "1e999"}, r"a float entry holds '1e999'; expected 'nan', 'inf' or '-inf'"),
    ({"scalar": 0, "device": "cuda"}, r"a NumPy scalar was saved on device 'cuda'"),
    ({"pickle": "other.pkl"}, r"its root names the pickle 'other.pkl'; expected 'data.pkl'"),
    ({"pickle": "data.pkl"}, r"its manifest names data.pkl, which is missing"),
    ({}, r"unexpected manifest entry \{\}"),
    ([1, 2], r"unexpected manifest entry \[1, 2\]"),
])
def test_every_manifest_field_is_checked(tmp_path, root, match):
    library_zip(tmp_path / "m.ckpt", root, npys=[npy(np.ones(2, np.int64))])
    refused(tmp_path / "m.ckpt", r"m.ckpt is damaged: " + match)


def test_requires_grad_on_an_integer_array_is_refused(tmp_path):
    library_zip(tmp_path / "m.ckpt", tensor_node(requires_grad=True), npys=[npy(np.ones(2, np.int64))])
    refused(tmp_path / "m.ckpt", r"array 0 of dtype int64 is marked requires_grad")


@pytest.mark.parametrize("version,match", [("2", r"version '2'"), (True, r"version True"), (3, r"version 3"),
                                           (None, r"version None")])
def test_the_version_must_be_an_int_this_library_reads(tmp_path, version, match):
    write_zip(tmp_path / "v.ckpt", {"manifest.json": json.dumps({"format": "tinygrad_rnn.checkpoint",
                                                                   "version": version, "root": 1})})
    refused(tmp_path / "v.ckpt", r"v.ckpt is checkpoint format " + match + r"; this library reads versions 1, 2")


def test_the_array_count_must_be_a_count(tmp_path):
    library_zip(tmp_path / "m.ckpt", 1, npys=(), **{"arrays": "many"})
    refused(tmp_path / "m.ckpt", r"its manifest.json declares 'many' arrays; expected a count")


def test_an_index_beyond_the_array_count_is_refused(tmp_path):
    library_zip(tmp_path / "m.ckpt", tensor_node(tensor=1), npys=[npy(np.ones(1)), npy(np.ones(1))],
                **{"arrays": 1})
    refused(tmp_path / "m.ckpt", r"it refers to array 1, which is not one of its arrays")


def test_a_manifest_that_is_not_json_is_refused(tmp_path):
    write_zip(tmp_path / "j.ckpt", {"manifest.json": b"{not json"})
    refused(tmp_path / "j.ckpt", r"its manifest.json is not valid JSON \(JSONDecodeError")


def test_a_manifest_with_a_100000_digit_number_is_refused(tmp_path):
    write_zip(tmp_path / "j.ckpt", {"manifest.json": b'{"root": ' + b"9" * 100000 + b"}"})
    refused(tmp_path / "j.ckpt", r"its manifest.json is not valid JSON \(ValueError")


def test_a_manifest_nested_100000_deep_is_refused(tmp_path):
    write_zip(tmp_path / "j.ckpt", {"manifest.json": b"[" * 100000 + b"]" * 100000})
    refused(tmp_path / "j.ckpt", r"its manifest.json is not valid JSON \(RecursionError")


def test_a_manifest_nested_beyond_the_limit_is_refused(tmp_path):
    root = 1
    for _ in range(serialization.error.MAX_DEPTH + 1):
        root = {"list": [root]}
    library_zip(tmp_path / "m.ckpt", root)
    refused(tmp_path / "m.ckpt", r"its manifest nests more than 200 deep")


def test_a_manifest_above_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(library_format, "MAX_RECORD_BYTES", 100)
    library_zip(tmp_path / "m.ckpt", {"list": list(range(100))})
    refused(tmp_path / "m.ckpt", r"its manifest.json is \d+ bytes, above the 100-byte limit")


@pytest.mark.parametrize("dtype", ["<U5", "S3", "M8[ns]", "m8[s]", "V8", [("a", "<f4"), ("b", "<i4")]])
def test_arrays_that_are_not_numbers_or_booleans_are_refused(tmp_path, dtype):
    array = np.zeros(2, dtype=np.dtype(dtype))
    library_zip(tmp_path / "m.ckpt", {"array": 0, "device": "cpu"}, npys=[npy(array)])
    refused(tmp_path / "m.ckpt", r"arrays/0.npy has (dtype .*; a checkpoint holds only numeric and boolean arrays|"
                                 r"a structured dtype)")


def test_an_object_array_is_refused_without_unpickling_it(tmp_path):
    library_zip(tmp_path / "m.ckpt", {"array": 0, "device": "cpu"}, npys=[npy(np.array([{"evil": 1}]))])
    refused(tmp_path / "m.ckpt", r"arrays/0.npy has dtype object; a checkpoint holds only numeric")


def test_a_npy_header_asking_for_7_tib_is_refused_without_allocating(tmp_path):
    header = npy_header({"descr": "<f8", "fortran_order": False, "shape": (2 ** 20, 2 ** 20)}, b"\0" * 64)
    library_zip(tmp_path / "m.ckpt", {"array": 0, "device": "cpu"}, npys=[header])
    refused(tmp_path / "m.ckpt", r"has shape \(1048576, 1048576\) of float64, which needs 8796093022208 bytes, but "
                                 r"the member holds 64")


@pytest.mark.parametrize("header,match", [
    ({"descr": "<f8", "fortran_order": "no", "shape": (1,)}, r"fortran_order 'no'; expected True or False"),
    ({"descr": "<f8", "fortran_order": False, "shape": (-1,)}, r"shape \(-1,\); expected a tuple"),
    ({"descr": "<f8", "fortran_order": False, "shape": [1]}, r"shape \[1\]; expected a tuple"),
    ({"descr": "<f8", "fortran_order": False, "shape": (2 ** 70,)}, r"shape \(an integer of 71 bits,\)|shape \("),
    ({"descr": "<f8", "fortran_order": False}, r"without exactly descr, fortran_order and shape"),
    ({"descr": "nonsense", "fortran_order": False, "shape": (1,)}, r"dtype 'nonsense', which NumPy does not know"),
])
def test_every_npy_header_field_is_checked(tmp_path, header, match):
    library_zip(tmp_path / "m.ckpt", {"array": 0, "device": "cpu"}, npys=[npy_header(header, b"\0" * 8)])
    refused(tmp_path / "m.ckpt", match)


def test_a_npy_header_that_is_not_a_literal_is_refused(tmp_path):
    body = b"\x93NUMPY\x01\x00" + struct.pack("<H", 40) + b"__import__('os').system('true')" + b" " * 8 + b"\n"
    library_zip(tmp_path / "m.ckpt", {"array": 0, "device": "cpu"}, npys=[body])
    refused(tmp_path / "m.ckpt", r"has a .npy header that is not a Python literal")


# ---- pickles -------------------------------------------------------------------------------------

def reduce_call(module, name, *args_pickle):
    return b"\x80\x02c" + module + b"\n" + name + b"\n(" + b"".join(args_pickle) + b"tR."


def test_a_pickle_calling_os_system_is_refused_before_anything_runs(tmp_path):
    marker = tmp_path / "ran"
    command = f"touch {marker}".encode()
    path = pickled_library(tmp_path, reduce_call(b"os", b"system", b"X" + struct.pack("<I", len(command)) + command))
    refused(path, r"it refers to os.system, which a weights_only load does not allow")
    assert not marker.exists()


def test_blocked_modules_stay_blocked_even_when_allowed(tmp_path):
    path = pickled_library(tmp_path, reduce_call(b"os", b"getcwd"))
    with serialization.safe_globals([os.getcwd, (os.getcwd, "os.getcwd")]):
        refused(path, r"it refers to os.getcwd")


@pytest.mark.parametrize("module,name", [(b"builtins", b"eval"), (b"__builtin__", b"exec"),
                                         (b"builtins", b"getattr"), (b"subprocess", b"call"),
                                         (b"tinygrad_rnn.nn.linear", b"Linear")])
def test_globals_beyond_the_allow_list_are_refused(tmp_path, module, name):
    path = pickled_library(tmp_path, reduce_call(module, name, b"X\x01\x00\x00\x001"))
    refused(path, r"it refers to (builtins|subprocess|tinygrad_rnn.nn.linear)\." + name.decode())


@pytest.mark.parametrize("body,match", [
    (b"\x80\x02]q\xff\xff\xff\xff.", r"uses pickle opcode|is malformed"),
    (b"\x80\x02}(K\x01K\x02\x86K\x03u.", r"keys must be str, bytes, bool, None, a float or a 64-bit int"),
    (b"\x80\x02}K\x01K\x02\x86K\x01s.", r"a dict key or set item is \(1, 2\) \(a tuple\)"),
    (b"\x80\x02}\x8a\x10" + b"\xff" * 15 + b"\x7fK\x01s.", r"an integer of 127 bits"),
    (b"\x80\x02}K\x01a.", r"APPEND to a dict; only lists can be appended to"),
    (b"\x80\x02]K\x01K\x02s.", r"SETITEM on a list; only dict, OrderedDict and Counter take items"),
    (b"\x80\x02c__builtin__\nbytearray\nJ\x00\x10\xa5\xd4\x85R.", r"bytearray\(\) of a int"),
    (b"\x80\x02c__builtin__\nset\nJ\x00\x10\xa5\xd4\x85R.", r"set\(\) of a int"),
    (b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x04\x00\x00\x00zlib\x86R.", r"_codecs.encode\(\) other than"),
    (b"\x80\x02X\xff\xff\xff\x7fabc.", r"the pickle is truncated"),
    (b"\x80\x02ccollections\nOrderedDict\n", r"the pickle is truncated"),
    (b"\x80\x02h\x05.", r"BINGET of memo entry 5, which was never stored"),
    (b"\x80\x02ibuiltins\nobject\n.", r"uses pickle opcode b'i', which a weights_only load does not run"),
    (b"\x80\x02t.", r"closes a MARK it never opened"),
    (b"\x80\x02R.", r"stack is empty"),
    (b"\x80\x02c" + b"a" * 5000 + b"\n", r"a GLOBAL name is unterminated or too long"),
    (b"\x80\x02Q.", r"stack is empty"),
    (b"\x80\x02X\x01\x00\x00\x00xQ.", r"persistent id 'x'; expected a tuple"),
    (b"\x80\x02(X\x06\x00\x00\x00tensorK\x00tQ.", r"persistent id \('tensor', 0\), which is not a tensor"),
    (b"\x80\x02c__builtin__\nset\n.", r"returns _set itself"),
    (b"\x80\x02ccollections\nOrderedDict\n]K\x01K\x02\x86K\x03\x86a\x85R.", r"OrderedDict: a dict key or set item "
                                                                         r"is \(1, 2\) \(a tuple\)"),
    (b"\x80\x02ccollections\nCounter\n]K\x01K\x02\x86a\x85R.", r"Counter: a dict key or set item is \(1, 2\)"),
    (b"\x80\x02ccollections\nOrderedDict\nK\x01\x85R.", r"OrderedDict\(\) of a int: expected a dict or a list"),
])
def test_hostile_pickles_end_in_the_checkpoint_error(tmp_path, body, match):
    refused(pickled_library(tmp_path, body), match)


def test_a_huge_memo_index_costs_one_entry(tmp_path):
    path = pickled_library(tmp_path, b"\x80\x02]r\xff\xff\xff\xffj\xff\xff\xff\xff\x86.")
    first, second = tr.load(path)
    assert first == [] and first is second


def test_a_pickle_nested_100000_deep_is_refused(tmp_path):
    body = b"\x80\x02" + b"]" * 100000 + b"a" * 99999 + b"."
    refused(pickled_library(tmp_path, body), r"data.pkl nests containers more than 200 deep")


def test_a_pickle_above_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(library_format, "MAX_RECORD_BYTES", 10)
    refused(pickled_library(tmp_path, b"\x80\x02]" + b"K\x01a" * 10 + b"."), r"above the 10-byte limit")


def test_an_allowed_class_that_raises_while_loading_gives_the_checkpoint_error(tmp_path):
    class Fragile:
        def __init__(self):
            self.state = 1

        def __setstate__(self, state):
            raise RuntimeError("no")

    Fragile.__module__, Fragile.__qualname__ = __name__, "Fragile"
    globals()["Fragile"] = Fragile
    tr.save({"f": Fragile()}, tmp_path / "f.ckpt")
    with serialization.safe_globals([Fragile]):
        refused(tmp_path / "f.ckpt", r"data.pkl is malformed at byte \d+: RuntimeError: 'no'")


def test_weights_only_false_still_answers_a_malformed_pickle_with_the_checkpoint_error(tmp_path):
    refused(pickled_library(tmp_path, b"\x80\x02(K\x01"), r"data.pkl cannot be unpickled", weights_only=False)


# ---- torch's format ------------------------------------------------------------------------------

FLOATS = struct.pack("<2f", 1.0, 2.0)


def test_a_valid_hand_made_torch_file_loads(tmp_path):
    """The helpers below make files torch's loader reads: each test changes one thing."""
    torch_zip(tmp_path / "t.pt", storage_tensor(), {"0": FLOATS})
    assert tr.load(tmp_path / "t.pt").tolist() == [1.0, 2.0]


@pytest.mark.parametrize("tensor,records,match", [
    (storage_tensor(numel=3), {"0": FLOATS}, r"storage record archive/data/0 holds 8 bytes, but its id declares 3 "
                                             r"values of float32"),
    (storage_tensor(), {}, r"storage record archive/data/0 is missing"),
    (storage_tensor(size=(3,)), {"0": FLOATS}, r"a tensor of size \(3,\), stride \(1,\) and offset 0 reaches "
                                               r"element 2 of a 2-element storage"),
    (storage_tensor(offset=5), {"0": FLOATS}, r"offset 5 reaches element 6"),
    (storage_tensor(stride=(-1,)), {"0": FLOATS}, r"a tensor's stride is -1; expected a non-negative int"),
    (storage_tensor(size=(2, 2)), {"0": FLOATS}, r"a tensor has size \(2, 2\) but stride \(1,\)"),
    (storage_tensor(size=(2 ** 30, 2 ** 30), stride=(0, 0)), {"0": FLOATS}, None),
    (storage_tensor(storage_type=b"BFloat16Storage"), {"0": FLOATS}, r"it holds a BFloat16 tensor \(a dtype NumPy "
                                                                     r"does not have\)"),
    (storage_tensor(storage_type=b"QInt8Storage"), {"0": FLOATS}, r"QInt8 tensor"),
    (reduce_call(b"torch._utils", b"_rebuild_qtensor"), {}, r"it holds a quantized tensor"),
    (reduce_call(b"torch.nn.modules.linear", b"Linear"), {}, r"a PyTorch object this library cannot rebuild"),
    (b"\x80\x02(X\x07\x00\x00\x00storageK\x01tQ.", {}, r"a persistent id \('storage', 1\) is not a storage"),
    (b"\x80\x02]ctorch\nFloatStorage\na.", {}, r"returns torch.FloatStorage itself, a part the format only uses"),
    (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n.", {}, r"returns rebuild_tensor_v2 itself"),
    (storage_tensor()[:storage_tensor().index(b"Q") + 1] + b".", {"0": FLOATS},
     r"returns a storage of 2 float32 values itself"),
])
def test_malformed_torch_tensors_end_in_the_checkpoint_error(tmp_path, tensor, records, match):
    torch_zip(tmp_path / "t.pt", tensor, records)
    if match is None:  # an expanded tensor of 2**60 elements over two floats: a view, never a copy
        assert tr.load(tmp_path / "t.pt").shape == (2 ** 30, 2 ** 30)
        return
    refused(tmp_path / "t.pt", match)


def test_a_storage_used_as_two_dtypes_is_refused(tmp_path):
    two = b"\x80\x02(" + storage_tensor()[2:-1] + storage_tensor(storage_type=b"IntStorage")[2:-1] + b"t."
    torch_zip(tmp_path / "t.pt", two, {"0": FLOATS})
    refused(tmp_path / "t.pt", r"storage '0' is used as both float32 and int32")


def test_a_byteorder_record_that_is_neither_is_refused(tmp_path):
    torch_zip(tmp_path / "t.pt", storage_tensor(), {"0": FLOATS})
    with zipfile.ZipFile(tmp_path / "t.pt", "a") as archive:
        archive.writestr("archive/byteorder", b"middle")
    refused(tmp_path / "t.pt", r"its byteorder record says 'middle'")


def test_a_big_endian_torch_file_is_byteswapped(tmp_path):
    torch_zip(tmp_path / "t.pt", storage_tensor(), {"0": struct.pack(">2f", 1.0, 2.0)})
    with zipfile.ZipFile(tmp_path / "t.pt", "a") as archive:
        archive.writestr("archive/byteorder", b"big")
    assert tr.load(tmp_path / "t.pt").tolist() == [1.0, 2.0]


def test_a_storage_location_this_library_lacks_needs_a_map_location(tmp_path):
    torch_zip(tmp_path / "t.pt", storage_tensor().replace(b"X\x03\x00\x00\x00cpu", b"X\x03\x00\x00\x00mps"),
              {"0": FLOATS})
    refused(tmp_path / "t.pt", r"a tensor was saved on device 'mps', which this library does not have; pass "
                               r"map_location='cpu'")
    assert tr.load(tmp_path / "t.pt", map_location="cpu").tolist() == [1.0, 2.0]


@pytest.mark.parametrize("cut", [20, 200, 300, 340, 360])
def test_a_truncated_legacy_torch_file_is_refused(tmp_path, cut):
    data = (FIXTURES / "torch_legacy.pt").read_bytes()
    (tmp_path / "l.pt").write_bytes(data[:cut])
    refused(tmp_path / "l.pt", r"l.pt(: .*)? (is damaged|is truncated|the pickle is truncated)|truncated")


# ---- memory ----------------------------------------------------------------------------------------

def hostile_files(tmp_path):
    """Files built to make a loader allocate, by name."""
    entries = b"".join(b"PK\x01\x02" + b"\0" * 24 + struct.pack("<H", 6) + b"\0" * 16 + b"%06d" % i
                       for i in range(20000))
    (tmp_path / "cd.ckpt").write_bytes(b"PK\x03\x04" + b"\0" * 26 + entries + b"PK\x05\x06" + struct.pack(
        "<HHHHIIH", 0, 0, 20000, 20000, len(entries), 30, 0))
    return {
        "npy header of 7 TiB": library_zip(tmp_path / "a.ckpt", {"array": 0, "device": "cpu"}, npys=[npy_header(
            {"descr": "<f8", "fortran_order": False, "shape": (2 ** 20, 2 ** 20)}, b"\0" * 4096)]),
        "50,000 empty lists": pickled_library(tmp_path, b"\x80\x02]" + b"]a" * 50000 + b".", "lists.ckpt"),
        "50,000 empty dicts": pickled_library(tmp_path, b"\x80\x02]" + b"}a" * 50000 + b".", "dicts.ckpt"),
        "lists nested 50,000 deep": pickled_library(tmp_path, b"\x80\x02" + b"]" * 50000 + b"a" * 49999 + b".",
                                                     "deep.ckpt"),
        "50,000 memo references": pickled_library(tmp_path, b"\x80\x02](K\x01K\x02eq\x00(" + b"h\x00" * 50000 +
                                                   b"t.", "memo.ckpt"),
        "50,000 floats": pickled_library(tmp_path, b"\x80\x02](" + (b"G" + struct.pack(">d", 1.5)) * 50000 + b"e.",
                                          "floats.ckpt"),
        "bytearray of 10**12": pickled_library(tmp_path, b"\x80\x02c__builtin__\nbytearray\n\x8a\x06\x00\x10\xa5"
                                                         b"\xd4\xe8\x00\x85R.", "bytearray.ckpt"),
        "expanded tensor of 2**60 floats": torch_zip(tmp_path / "e.pt", storage_tensor(
            size=(2 ** 30, 2 ** 30), stride=(0, 0)), {"0": FLOATS}),
        "2,000 tensors over one storage": torch_zip(tmp_path / "m.pt", b"\x80\x02(" + storage_tensor(
            numel=2 ** 16)[2:-1] * 2000 + b"t.", {"0": b"\0" * 2 ** 18}),
        "an array named 2,000 times": library_zip(tmp_path / "n.ckpt", {"list": [{"array": 0, "device": "cpu"}] * 2000},
                                                  npys=[npy(np.zeros(2 ** 16))]),
        "central directory of 20,000 entries": tmp_path / "cd.ckpt",
    }


def test_loading_a_hostile_file_uses_memory_proportional_to_its_size(tmp_path, device):
    """On "cuda" every storage is copied to the device once, whatever number of tensors view it
    (tracemalloc sees those copies under the CPU stand-in for CuPy)."""
    for name, path in hostile_files(tmp_path).items():
        size = os.path.getsize(path)
        tracemalloc.start()
        try:
            tr.load(path, map_location=device)
        except CE:
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 48 * size + (1 << 20), f"{name}: {peak} bytes at peak for a {size}-byte file"


def test_code_in_a_full_pickle_never_runs_under_weights_only(tmp_path):
    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))

    tr.save({"p": Payload()}, tmp_path / "x.ckpt")
    tr.save({"p": Payload()}, tmp_path / "x.pt")
    for path in (tmp_path / "x.ckpt", tmp_path / "x.pt"):
        refused(path, r"it refers to (os|posix).system")
    assert not (tmp_path / "ran").exists()


def test_crc_is_checked_on_every_member_read(tmp_path):
    path = valid(tmp_path, name="c.pt")
    data = bytearray(path.read_bytes())
    at = data.find(b"archive/data.pkl") + len("archive/data.pkl")
    at = data.find(b"\x80\x02", at)
    data[at + 3] ^= 0x01
    path.write_bytes(bytes(data))
    refused(path, r"member 'archive/data.pkl' fails its CRC-32 check")

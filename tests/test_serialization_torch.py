"""PyTorch's checkpoint format without PyTorch: the files in tests/fixtures (written by torch.save,
see tools/make_torch_fixtures.py) load with the right values, and the files tr.save writes have
torch's layout and name only globals that torch.load allows by default."""

import io
import pathlib
import pickletools
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn, optim, serialization

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def ramp(*shape, dtype=np.float32, scale=0.25):
    """tools/make_torch_fixtures.py's ramp, in NumPy."""
    values = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    if dtype == np.bool_:
        return values.astype(np.int64) % 3 == 0
    if np.dtype(dtype).kind in "fc":
        return (values * scale).astype(dtype)
    return (values - 3).astype(dtype) if dtype != np.uint8 else values.astype(dtype)


def filled(shapes):
    """tools/make_torch_fixtures.py's fill: parameter k is ramp(shape) / (k + 1)."""
    return {name: ramp(*shape) / (k + 1) for k, (name, shape) in enumerate(shapes.items())}


def load_fixture(name, **kwargs):
    return tr.load(FIXTURES / f"torch_{name}.pt", **kwargs)


# ---- files written by torch.save ----------------------------------------------------------

@pytest.mark.parametrize("name,dtype", [("float16", np.float16), ("float32", np.float32), ("float64", np.float64),
                                        ("int8", np.int8), ("int16", np.int16), ("int32", np.int32),
                                        ("int64", np.int64), ("uint8", np.uint8), ("bool", np.bool_)])
def test_tensors_of_every_dtype_load_with_their_values(name, dtype):
    t = load_fixture("tensors")[name]
    assert type(t) is tr.Tensor and t.dtype == dtype and not t.requires_grad
    np.testing.assert_array_equal(t.numpy(), ramp(*t.shape, dtype=dtype))


def test_strides_and_storage_offsets_are_honoured():
    back, base = load_fixture("tensors"), ramp(4, 6)
    np.testing.assert_array_equal(back["transposed"].numpy(), base.T)
    np.testing.assert_array_equal(back["strided"].numpy(), base[::2, 1::2])
    np.testing.assert_array_equal(back["offset"].numpy(), base[1:, 2:])
    np.testing.assert_array_equal(back["expanded"].numpy(), np.broadcast_to(ramp(3), (4, 3)))


def test_tensors_that_shared_a_storage_share_it_again():
    back = load_fixture("tensors")
    assert np.shares_memory(back["shared_base"].array, back["shared_row"].array)
    np.testing.assert_array_equal(back["shared_row"].numpy(), ramp(4, 6)[2])


def test_an_expanded_tensor_is_a_read_only_view():
    """Its elements alias each other: writing one would write several."""
    assert not load_fixture("tensors")["expanded"].array.flags.writeable


def test_scalars_empty_tensors_requires_grad_and_parameters():
    back = load_fixture("tensors")
    assert back["scalar"].shape == () and back["scalar"].item() == 2.5
    assert back["empty"].shape == (0, 3)
    assert back["requires_grad"].requires_grad and back["requires_grad"].dtype == np.float64
    assert type(back["parameter"]) is nn.Parameter and back["parameter"].requires_grad
    np.testing.assert_array_equal(back["parameter"].numpy(), ramp(2, 2))


def test_nested_containers_and_python_values_load():
    back = load_fixture("tensors")
    nested = back["nested"]
    assert nested[:6] == [1, 2.5, "text", None, True, b"bytes"]
    first, inner = nested[6]
    np.testing.assert_array_equal(first.numpy(), ramp(2))
    np.testing.assert_array_equal(inner["inner"].numpy(), ramp(1))
    assert type(nested[7]) is OrderedDict and list(nested[7].items()) == [("b", 2), ("a", 1)]
    assert back[7] == {"int key": 1}


LSTM_SHAPES = {f"{kind}_l{layer}{suffix}": shape
               for layer in range(2) for suffix in ("", "_reverse")
               for kind, shape in [("weight_ih", (16, 3 if layer == 0 else 8)), ("weight_hh", (16, 4)),
                                   ("bias_ih", (16,)), ("bias_hh", (16,))]}


def test_a_bidirectional_two_layer_lstm_state_dict_loads_into_the_lstm():
    state = load_fixture("lstm")
    assert type(state) is OrderedDict and list(state) == list(LSTM_SHAPES)
    model = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    model.load_state_dict(state)
    for name, expected in filled(LSTM_SHAPES).items():
        np.testing.assert_array_equal(getattr(model, name).numpy(), expected, err_msg=name)


def test_a_gru_cell_and_a_relu_rnn_state_dict_load():
    cell = nn.GRUCell(2, 3)
    cell.load_state_dict(load_fixture("gru_cell"))
    shapes = {"weight_ih": (9, 2), "weight_hh": (9, 3), "bias_ih": (9,), "bias_hh": (9,)}
    for name, expected in filled(shapes).items():
        np.testing.assert_array_equal(getattr(cell, name).numpy(), expected)
    rnn = nn.RNN(2, 3, nonlinearity="relu", bias=False)
    rnn.load_state_dict(load_fixture("rnn_relu"))
    np.testing.assert_array_equal(rnn.weight_hh_l0.numpy(), ramp(3, 3) / 2)


def test_an_adam_state_dict_loads_into_adam_and_steps_on():
    state = load_fixture("adam")
    assert state["param_groups"][0]["betas"] == (0.8, 0.9) and state["param_groups"][0]["params"] == [0, 1]
    weight = state["state"][0]
    assert weight["step"].item() == 1.0
    np.testing.assert_allclose(weight["exp_avg"].numpy(), 0.2 * ramp(2, 3), rtol=1e-6)
    np.testing.assert_allclose(weight["exp_avg_sq"].numpy(), 0.1 * ramp(2, 3) ** 2, rtol=1e-6)
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    opt.load_state_dict(state)
    assert opt.param_groups[0]["betas"] == (0.8, 0.9)
    for p in model.parameters():
        p.grad = tr.tensor(ramp(*p.shape))
    opt.step()
    assert opt.state_dict()["state"][0]["step"] == 2


def test_a_whole_torch_module_is_refused_naming_its_class():
    message = (r"torch_whole_module.pt: torch_whole_module/data.pkl(, at byte \d+)?: it refers to "
               r"torch.nn.modules.linear.Linear, a PyTorch object this library cannot rebuild")
    with pytest.raises(tr.CheckpointError, match=message):
        load_fixture("whole_module")
    with pytest.raises(tr.CheckpointError, match=message):
        load_fixture("whole_module", weights_only=False)  # still never imports torch


def test_a_numpy_array_saved_by_torch_needs_numpys_globals_allowed_as_in_torch():
    with pytest.raises(tr.CheckpointError, match=r"multiarray._reconstruct, which a weights_only load does not "
                                                 r"allow"):
        load_fixture("numpy_array")
    reconstruct = np.lib.format.__dict__.get("_reconstruct") or __import__(
        np.ndarray.__reduce__(np.zeros(1))[0].__module__, fromlist=["_reconstruct"])._reconstruct
    with serialization.safe_globals([reconstruct, np.ndarray, np.dtype, type(np.dtype(np.int64))]):
        assert (load_fixture("numpy_array")["array"] == np.arange(3)).all()
    assert (load_fixture("numpy_array", weights_only=False)["array"] == np.arange(3)).all()


def test_the_legacy_format_of_torch_before_1_6_loads():
    back = load_fixture("legacy")
    np.testing.assert_array_equal(back["w"].numpy(), ramp(2, 3))


def test_map_location_applies_to_torch_files(device):
    assert load_fixture("lstm", map_location=device)["weight_ih_l0"].device == device


# ---- files written by tr.save in torch's format ---------------------------------------------------

def save_torch(obj):
    buffer = io.BytesIO()
    tr.save(obj, buffer, format="torch")
    return buffer


def torch_records(buffer):
    with zipfile.ZipFile(buffer) as archive:
        return {info.filename: info for info in archive.infolist()}, archive.read("archive/data.pkl")


def test_pt_and_pth_names_choose_torchs_format_and_other_names_the_librarys(tmp_path):
    for name, expected in [("m.pt", "archive/data.pkl"), ("m.PTH", "archive/data.pkl"), ("m.ckpt", "manifest.json"),
                           ("m.bin", "manifest.json")]:
        tr.save({"w": tr.ones(1)}, tmp_path / name)
        assert expected in zipfile.ZipFile(tmp_path / name).namelist(), name
    tr.save({"w": tr.ones(1)}, tmp_path / "forced.pt", format="tinygrad_rnn")
    assert "manifest.json" in zipfile.ZipFile(tmp_path / "forced.pt").namelist()
    with open(tmp_path / "object.pth", "wb") as f:
        tr.save({"w": tr.ones(1)}, f)
    assert "archive/data.pkl" in zipfile.ZipFile(tmp_path / "object.pth").namelist()


def test_torch_format_has_torchs_records_and_64_byte_aligned_data():
    buffer = save_torch({"a": tr.ones(3), "b": tr.zeros(2, 2)})
    records, _ = torch_records(buffer)
    assert set(records) == {"archive/data.pkl", "archive/.format_version", "archive/.storage_alignment",
                            "archive/byteorder", "archive/data/0", "archive/data/1", "archive/version"}
    raw = buffer.getvalue()
    for info in records.values():
        assert info.compress_type == zipfile.ZIP_STORED
        name_length, extra_length = struct.unpack_from("<HH", raw, info.header_offset + 26)
        assert (info.header_offset + 30 + name_length + extra_length) % 64 == 0, info.filename


TORCH_DEFAULT_GLOBALS = {"torch._utils _rebuild_tensor_v2", "torch._utils _rebuild_tensor_v3",
                         "torch._utils _rebuild_parameter", "collections OrderedDict", "_codecs encode",
                         "__builtin__ set", "torch.storage UntypedStorage"}


def test_torch_format_pickle_is_protocol_2_naming_only_torchs_default_globals():
    obj = {"t": tr.ones(2), "p": nn.Parameter(tr.ones(2)), "a": np.arange(3, dtype=np.uint16), "n": np.float32(1),
           "b": b"raw", "s": {1}, "o": OrderedDict(x=1), "bool": np.ones(2, dtype=bool), "i": np.arange(2)}
    _, pickled = torch_records(save_torch(obj))
    ops = list(pickletools.genops(pickled))
    assert ops[0][0].name == "PROTO" and ops[0][1] == 2
    names = {arg for op, arg, _ in ops if op.name == "GLOBAL"}
    assert all(n in TORCH_DEFAULT_GLOBALS or n.startswith("torch ") for n in names), names
    assert {"torch FloatStorage", "torch LongStorage", "torch BoolStorage", "torch uint16",
            "torch.storage UntypedStorage"} <= names


def test_numpy_arrays_and_scalars_become_tensors_in_torchs_format():
    buffer = save_torch({"a": np.arange(3), "s": np.float64(2.0)})
    buffer.seek(0)
    back = tr.load(buffer)
    assert type(back["a"]) is tr.Tensor and back["a"].dtype == np.int64 and back["a"].tolist() == [0, 1, 2]
    assert type(back["s"]) is tr.Tensor and back["s"].shape == () and back["s"].item() == 2.0


def test_views_of_one_array_share_one_storage_with_offsets_and_strides():
    base = tr.tensor(np.arange(24.0, dtype=np.float32).reshape(4, 6))
    buffer = save_torch({"base": base, "row": base[2], "cols": base[:, 1::2], "t": base.transpose(0, 1)})
    records, _ = torch_records(buffer)
    assert [n for n in records if n.startswith("archive/data/")] == ["archive/data/0"]
    buffer.seek(0)
    back = tr.load(buffer)
    for name, expected in [("base", base.numpy()), ("row", base.numpy()[2]), ("cols", base.numpy()[:, 1::2]),
                           ("t", base.numpy().T)]:
        np.testing.assert_array_equal(back[name].numpy(), expected)
        assert np.shares_memory(back[name].array, back["base"].array)


def test_a_module_state_dict_round_trips_through_torchs_format():
    model = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    buffer = save_torch(model.state_dict())
    buffer.seek(0)
    fresh = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    fresh.load_state_dict(tr.load(buffer))
    for (name, p), q in zip(model.named_parameters(), fresh.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)


def test_a_whole_module_round_trips_through_torchs_format():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    buffer = save_torch(model)
    buffer.seek(0)
    with serialization.safe_globals([nn.Sequential, nn.Linear, nn.Tanh]):
        back = tr.load(buffer)
    assert type(back[0].weight) is nn.Parameter
    x = tr.randn(4, 2)
    np.testing.assert_array_equal(back(x).numpy(), model(x).numpy())


def test_torch_format_writes_tensors_from_a_device(device):
    buffer = save_torch({"w": tr.ones(2, device=device)})
    buffer.seek(0)
    assert tr.load(buffer)["w"].device == device

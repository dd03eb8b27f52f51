"""tr.save / tr.load: exact round trips of data and of whole objects, in the library's format
and through paths and file objects; weights_only and its allow-list."""

import io
import json
import math
import pathlib
import zipfile
from collections import Counter, OrderedDict

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn, optim, serialization

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def nested():
    return {
        "weights": {"a": tr.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)),
                    "b": tr.tensor(np.array([1.5, -2.0]), dtype=tr.float64, requires_grad=True)},
        "array": np.array([[1, 2], [3, 4]], dtype=np.int64),
        "scalar": np.float32(0.25),
        "numbers": [1, 2.5, float("nan"), float("inf"), -float("inf"), True, None, "text"],
        "tuple": (0.9, 0.999),
        7: {"step": 3},
    }


def check_nested(back):
    assert list(back) == ["weights", "array", "scalar", "numbers", "tuple", 7]
    a, b = back["weights"]["a"], back["weights"]["b"]
    assert type(a) is tr.Tensor and a.dtype == np.float32 and not a.requires_grad
    np.testing.assert_array_equal(a.numpy(), np.arange(6).reshape(2, 3))
    assert b.dtype == np.float64 and b.requires_grad
    assert type(back["array"]) is np.ndarray and back["array"].dtype == np.int64
    assert (back["array"] == [[1, 2], [3, 4]]).all()
    assert back["scalar"] == np.float32(0.25) and back["scalar"].dtype == np.float32
    numbers = back["numbers"]
    assert numbers[:2] == [1, 2.5] and math.isnan(numbers[2])
    assert numbers[3:] == [float("inf"), -float("inf"), True, None, "text"]
    assert back["tuple"] == (0.9, 0.999) and back[7] == {"step": 3}


def round_trip(obj, **load_kwargs):
    buffer = io.BytesIO()
    tr.save(obj, buffer)
    buffer.seek(0)
    return tr.load(buffer, **load_kwargs)


# ---- data --------------------------------------------------------------------------------

def test_round_trip_restores_structure_values_and_dtypes(tmp_path):
    tr.save(nested(), tmp_path / "ckpt.tr")
    check_nested(tr.load(tmp_path / "ckpt.tr"))


def test_checkpoints_of_format_version_1_still_load():
    """library_v1.ckpt was written by the version-1 writer with nested()."""
    check_nested(tr.load(FIXTURES / "library_v1.ckpt"))


def test_floats_round_trip_bit_for_bit(tmp_path):
    values = np.random.default_rng(0).standard_normal(1000)
    tr.save({"x": values, "f": 0.1 + 0.2}, tmp_path / "c")
    back = tr.load(tmp_path / "c")
    assert back["x"].tobytes() == values.tobytes() and back["f"] == 0.1 + 0.2


def test_numpy_arrays_load_back_as_numpy_arrays_of_every_numeric_dtype():
    arrays = {str(d): np.arange(6).astype(d).reshape(2, 3) for d in
              (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
               np.uint32, np.uint64, np.bool_, np.complex64, np.complex128)}
    back = round_trip(arrays)
    for name, array in arrays.items():
        assert type(back[name]) is np.ndarray and back[name].dtype == array.dtype
        np.testing.assert_array_equal(back[name], array)


def test_non_contiguous_arrays_round_trip_as_their_values():
    base = np.arange(24.0).reshape(4, 6)
    back = round_trip({"t": base.T, "s": base[::2, 1::3], "f": np.asfortranarray(base)})
    np.testing.assert_array_equal(back["t"], base.T)
    np.testing.assert_array_equal(back["s"], base[::2, 1::3])
    np.testing.assert_array_equal(back["f"], base)


def test_ordered_dicts_stay_ordered_dicts_and_dicts_stay_dicts():
    back = round_trip({"o": OrderedDict([("z", 1), ("a", 2)]), "d": {"z": 1, "a": 2}})
    assert type(back["o"]) is OrderedDict and list(back["o"]) == ["z", "a"]
    assert type(back["d"]) is dict


def test_bytes_sets_complex_and_counters_round_trip_through_the_pickle():
    obj = {"bytes": b"\x00\xffraw", "set": {1, "two", 3.0}, "complex": 1 + 2j, "count": Counter("abca"),
           "bytearray": bytearray(b"xy"), "float key": {0.5: "half"}}
    assert round_trip(obj) == obj


def test_a_tensor_saved_twice_loads_as_one_tensor_in_a_pickle():
    t = tr.ones(3)
    back = round_trip({"a": t, "b": t, "odd": {1, 2}})
    assert back["a"] is back["b"]


def test_parameters_stay_parameters_and_tensors_tensors():
    back = round_trip({"p": nn.Parameter(tr.ones(2)), "t": tr.ones(2)})
    assert type(back["p"]) is nn.Parameter and back["p"].requires_grad
    assert type(back["t"]) is tr.Tensor


def test_model_and_optimizer_state_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    nn.functional.mse_loss(model(tr.randn(5, 3)), tr.randn(5, 1)).backward()
    opt.step()
    tr.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "c")
    back = tr.load(tmp_path / "c")
    fresh = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    fresh.load_state_dict(back["model"])
    for p, q in zip(model.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert back["optimizer"]["state"][0]["step"] == 1
    np.testing.assert_array_equal(back["optimizer"]["state"][0]["max_exp_avg_sq"],
                                  opt.state_dict()["state"][0]["max_exp_avg_sq"])
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.5)
    fresh_opt.load_state_dict(back["optimizer"])
    assert fresh_opt.param_groups[0]["lr"] == 0.01


def test_scheduler_state_round_trips():
    opt = optim.SGD([nn.Parameter(tr.ones(1))], lr=1.0)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        opt.step()
        scheduler.step()
    back = round_trip(scheduler.state_dict())
    assert back == scheduler.state_dict()


def test_checkpoint_is_a_zip_with_a_json_manifest_and_plain_arrays(tmp_path):
    tr.save({"w": tr.ones(2)}, tmp_path / "c")
    with zipfile.ZipFile(tmp_path / "c") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format"] == "tinygrad_rnn.checkpoint" and manifest["version"] == 2
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        with archive.open("arrays/0.npy") as f:
            assert (np.lib.format.read_array(f, allow_pickle=False) == 1).all()


def test_data_needs_no_pickle_and_other_objects_do(tmp_path):
    tr.save(nested(), tmp_path / "data")
    tr.save({"s": {1, 2}}, tmp_path / "object")
    assert "data.pkl" not in zipfile.ZipFile(tmp_path / "data").namelist()
    assert "data.pkl" in zipfile.ZipFile(tmp_path / "object").namelist()


# ---- paths and file objects ----------------------------------------------------------------

def test_save_and_load_through_open_binary_files(tmp_path):
    with open(tmp_path / "c", "wb") as f:
        tr.save(nested(), f)
    with open(tmp_path / "c", "rb") as f:
        check_nested(tr.load(f))


def test_a_file_object_is_read_from_its_current_position():
    buffer = io.BytesIO()
    buffer.write(b"header")
    tr.save({"v": 1}, buffer)
    buffer.seek(len(b"header"))
    assert tr.load(buffer) == {"v": 1}


def test_str_and_pathlike_paths_both_work(tmp_path):
    tr.save({"v": 1}, str(tmp_path / "a"))
    tr.save({"v": 2}, tmp_path / "b")
    assert tr.load(str(tmp_path / "b")) == {"v": 2} and tr.load(tmp_path / "a") == {"v": 1}


def test_load_refuses_an_object_that_is_not_a_file():
    with pytest.raises(TypeError, match="load: expected a path or a binary file object"):
        tr.load(42)


def test_save_refuses_an_unknown_format(tmp_path):
    with pytest.raises(ValueError, match=r"save: format must be one of \('tinygrad_rnn', 'torch'\)"):
        tr.save({}, tmp_path / "c", format="hdf5")


def test_save_refuses_the_legacy_torch_format(tmp_path):
    with pytest.raises(tr.CheckpointError, match=r"_use_new_zipfile_serialization=False\) is not written"):
        tr.save({}, tmp_path / "c.pt", _use_new_zipfile_serialization=False)


# ---- devices --------------------------------------------------------------------------------

def test_load_from_cuda_checkpoint_falls_back_to_cpu_without_a_gpu(tmp_path, monkeypatch):
    """A checkpoint written on a GPU machine: its arrays are host arrays marked "cuda"."""
    tr.save({"w": tr.ones(2), "a": np.zeros(3)}, tmp_path / "c")
    with zipfile.ZipFile(tmp_path / "c") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        arrays = {n: archive.read(n) for n in archive.namelist() if n.startswith("arrays/")}
    for _, node in manifest["root"]["dict"]:
        node["device"] = "cuda"
    with zipfile.ZipFile(tmp_path / "gpu", "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for name, data in arrays.items():
            archive.writestr(name, data)
    monkeypatch.setattr(serialization.backend, "cuda_available", lambda: False)
    back = tr.load(tmp_path / "gpu")
    assert back["w"].device == "cpu" and (back["w"].numpy() == 1).all()
    assert type(back["a"]) is np.ndarray
    assert tr.load(tmp_path / "gpu", map_location={"cuda": "cpu"})["w"].device == "cpu"


def test_map_location_moves_tensors_and_arrays(tmp_path, device):
    tr.save({"w": tr.ones(2), "a": np.ones(2), "o": {1, 2}, "p": [tr.ones(1)]}, tmp_path / "c")
    back = tr.load(tmp_path / "c", map_location=device)
    assert back["w"].device == device and back["p"][0].device == device
    assert tr.backend.device_of(back["a"]) == device


def test_tensors_saved_on_a_device_come_back_there(tmp_path, device):
    tr.save({"w": tr.ones(2, device=device)}, tmp_path / "c")
    assert tr.load(tmp_path / "c")["w"].device == device


def test_map_location_must_be_a_device():
    with pytest.raises(tr.DeviceError, match="load: map_location 'tpu' is not a device"):
        tr.load(io.BytesIO(), map_location="tpu")
    with pytest.raises(TypeError, match="load: map_location must be None, a device string or a dict"):
        tr.load(io.BytesIO(), map_location=3)


# ---- saving errors ----------------------------------------------------------------------------

def test_save_refuses_object_arrays(tmp_path):
    with pytest.raises(tr.CheckpointError, match="array of Python objects"):
        tr.save({"x": np.array([{}, 1], dtype=object)}, tmp_path / "c")


def test_save_refuses_string_arrays(tmp_path):
    with pytest.raises(tr.CheckpointError, match=r"has dtype <U5; a checkpoint holds only numeric and boolean"):
        tr.save({"x": np.array(["hello"])}, tmp_path / "c")


def test_save_refuses_keys_a_load_would_refuse(tmp_path):
    with pytest.raises(tr.CheckpointError, match=r"a dict key or set item is \(1, 2\) \(a tuple\); keys must be"):
        tr.save({(1, 2): 3}, tmp_path / "c")


def test_save_refuses_what_cannot_be_pickled(tmp_path):
    with pytest.raises(tr.CheckpointError, match="save: obj cannot be pickled"):
        tr.save({"f": lambda: 0}, tmp_path / "c")


def test_save_refuses_objects_nested_too_deep(tmp_path):
    deep = []
    for _ in range(serialization.error.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(tr.CheckpointError, match="save: obj nests containers more than 200 deep"):
        tr.save(deep, tmp_path / "c")


# ---- whole objects and weights_only ------------------------------------------------------------

def lstm_model():
    tr.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.LSTM(3, 4, num_layers=2, bidirectional=True))


LSTM_CLASSES = [nn.Sequential, nn.Linear, nn.Tanh, nn.LSTM]


def test_a_whole_module_is_refused_by_default_naming_its_class(tmp_path):
    tr.save(lstm_model(), tmp_path / "model.ckpt")
    with pytest.raises(tr.CheckpointError, match=r"model.ckpt: data.pkl, at byte \d+: it refers to "
                                                 r"tinygrad_rnn.nn.containers.Sequential, one of the library's own "
                                                 r"classes, which a weights_only load never allows by itself"):
        tr.load(tmp_path / "model.ckpt")


def test_a_whole_module_loads_inside_safe_globals_with_its_parameters(tmp_path):
    model = lstm_model()
    tr.save(model, tmp_path / "model.ckpt")
    with serialization.safe_globals(LSTM_CLASSES):
        back = tr.load(tmp_path / "model.ckpt")
    assert type(back) is nn.Sequential
    assert [type(p) for p in back.parameters()] == [nn.Parameter] * len(list(model.parameters()))
    x = tr.randn(5, 2, 2)
    np.testing.assert_array_equal(back(x)[0].numpy(), model(x)[0].numpy())


def test_safe_globals_allows_only_inside_its_block(tmp_path):
    tr.save(lstm_model(), tmp_path / "model.ckpt")
    with serialization.safe_globals(LSTM_CLASSES):
        pass
    with pytest.raises(tr.CheckpointError, match="weights_only load never allows"):
        tr.load(tmp_path / "model.ckpt")


def test_safe_globals_needs_every_class_the_file_names(tmp_path):
    tr.save(lstm_model(), tmp_path / "model.ckpt")
    with serialization.safe_globals([nn.Sequential, nn.Linear]):
        with pytest.raises(tr.CheckpointError, match=r"tinygrad_rnn.nn.activation.Tanh"):
            tr.load(tmp_path / "model.ckpt")


def test_add_safe_globals_allows_until_cleared(tmp_path):
    tr.save(lstm_model(), tmp_path / "model.ckpt")
    serialization.add_safe_globals(LSTM_CLASSES)
    try:
        assert set(LSTM_CLASSES) <= set(serialization.get_safe_globals())
        assert type(tr.load(tmp_path / "model.ckpt")) is nn.Sequential
    finally:
        serialization.clear_safe_globals()
    with pytest.raises(tr.CheckpointError):
        tr.load(tmp_path / "model.ckpt")


def test_weights_only_false_unpickles_a_whole_module(tmp_path):
    model = lstm_model()
    tr.save(model, tmp_path / "model.ckpt")
    back = tr.load(tmp_path / "model.ckpt", weights_only=False)
    assert type(back) is nn.Sequential and type(back[2].weight_ih_l0) is nn.Parameter


class Config:
    def __init__(self, size):
        self.size = size

    def __eq__(self, other):
        return type(other) is Config and other.size == self.size


def test_a_users_class_loads_when_allowed(tmp_path):
    tr.save({"config": Config(3)}, tmp_path / "c")
    with pytest.raises(tr.CheckpointError, match=r"test_serialization.Config, which a weights_only load does not "
                                                 r"allow; if you trust this file"):
        tr.load(tmp_path / "c")
    with serialization.safe_globals([Config]):
        assert tr.load(tmp_path / "c") == {"config": Config(3)}


def test_a_safe_global_can_be_given_the_name_the_file_uses(tmp_path):
    tr.save({"config": Config(3)}, tmp_path / "c")
    with serialization.safe_globals([(Config, f"{Config.__module__}.Config")]):
        assert tr.load(tmp_path / "c")["config"] == Config(3)


def test_safe_globals_refuses_what_is_not_a_class_or_function():
    with pytest.raises(TypeError, match="safe globals: 3 is not a class or function"):
        serialization.add_safe_globals([3])


def test_weights_only_must_be_a_bool(tmp_path):
    with pytest.raises(TypeError, match="load: weights_only must be True or False, got 'yes'"):
        tr.load(tmp_path / "c", weights_only="yes")

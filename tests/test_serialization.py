"""tr.save / tr.load: exact round trips, no code on load, atomic writes, damaged files."""

import json
import os
import zipfile

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn, optim, serialization


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


def test_round_trip_restores_structure_values_and_dtypes(tmp_path):
    path = tmp_path / "ckpt.tr"
    tr.save(nested(), path)
    back = tr.load(path)
    assert list(back) == ["weights", "array", "scalar", "numbers", "tuple", 7]
    a, b = back["weights"]["a"], back["weights"]["b"]
    assert isinstance(a, tr.Tensor) and a.dtype == np.float32 and not a.requires_grad
    np.testing.assert_array_equal(a.numpy(), np.arange(6).reshape(2, 3))
    assert b.dtype == np.float64 and b.requires_grad
    assert back["array"].dtype == np.int64 and (back["array"] == [[1, 2], [3, 4]]).all()
    assert back["scalar"] == np.float32(0.25) and back["scalar"].dtype == np.float32
    numbers = back["numbers"]
    assert numbers[:2] == [1, 2.5] and np.isnan(numbers[2]) and numbers[3:] == [float("inf"), -float("inf"),
                                                                                   True, None, "text"]
    assert back["tuple"] == (0.9, 0.999) and back[7] == {"step": 3}


def test_floats_round_trip_bit_for_bit(tmp_path):
    values = np.random.default_rng(0).standard_normal(1000)
    tr.save({"x": values, "f": 0.1 + 0.2}, tmp_path / "c")
    back = tr.load(tmp_path / "c")
    assert back["x"].tobytes() == values.tobytes() and back["f"] == 0.1 + 0.2


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


def test_checkpoint_is_a_zip_with_a_json_manifest_and_plain_arrays(tmp_path):
    tr.save({"w": tr.ones(2)}, tmp_path / "c")
    with zipfile.ZipFile(tmp_path / "c") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format"] == "tinygrad_rnn.checkpoint"
        with archive.open("arrays/0.npy") as f:
            assert (np.lib.format.read_array(f, allow_pickle=False) == 1).all()


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


def test_map_location_moves_tensors(tmp_path, device):
    tr.save({"w": tr.ones(2)}, tmp_path / "c")
    assert tr.load(tmp_path / "c", map_location=device)["w"].device == device


def test_save_replaces_an_existing_file_atomically(tmp_path):
    path = tmp_path / "c"
    tr.save({"v": 1}, path)
    tr.save({"v": 2}, path)
    assert tr.load(path) == {"v": 2}
    assert os.listdir(tmp_path) == ["c"]


def test_failed_save_leaves_the_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "c"
    tr.save({"w": tr.ones(3)}, path)
    with pytest.raises(tr.CheckpointError, match=r"save: obj\['later'\] has type object"):
        tr.save({"w": tr.zeros(3), "later": object()}, path)  # fails after the first array is written
    assert (tr.load(path)["w"].numpy() == 1).all()
    assert os.listdir(tmp_path) == ["c"]  # no temporary file left behind


def test_save_refuses_object_arrays(tmp_path):
    with pytest.raises(tr.CheckpointError, match="array of Python objects"):
        tr.save({"x": np.array([{}, 1], dtype=object)}, tmp_path / "c")


def test_save_refuses_keys_that_are_not_str_or_int(tmp_path):
    with pytest.raises(tr.CheckpointError, match=r"obj has a key of type tuple; keys must be str or int"):
        tr.save({(1, 2): 3}, tmp_path / "c")


def test_truncated_file_is_reported_with_its_name(tmp_path):
    path = tmp_path / "c"
    tr.save({"w": tr.ones(1000)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(tr.CheckpointError, match=r"load: .*c is not a tinygrad_rnn checkpoint: .*truncated"):
        tr.load(path)


def test_garbage_file_is_reported(tmp_path):
    path = tmp_path / "garbage.bin"
    path.write_bytes(os.urandom(256))
    with pytest.raises(tr.CheckpointError, match=r"garbage.bin is not a tinygrad_rnn checkpoint"):
        tr.load(path)


def test_foreign_zip_is_reported(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x=np.zeros(2))
    with pytest.raises(tr.CheckpointError, match=r"data.npz is a zip archive but not a tinygrad_rnn checkpoint: "
                                                  r"it has no manifest.json"):
        tr.load(path)


def test_manifest_of_another_format_is_reported(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": "something-else"}))
    with pytest.raises(tr.CheckpointError, match="other.zip is not a tinygrad_rnn checkpoint: its manifest.json"):
        tr.load(path)


def test_corrupted_array_bytes_are_reported(tmp_path):
    path = tmp_path / "c"
    tr.save({"w": tr.ones(1000)}, path)
    data = bytearray(path.read_bytes())
    data[600] ^= 0xFF  # inside the stored array: the zip's CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(tr.CheckpointError, match=r"c is damaged or truncated: BadZipFile: Bad CRC-32"):
        tr.load(path)


def test_missing_array_is_reported(tmp_path):
    path = tmp_path / "c"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps(
            {"format": "tinygrad_rnn.checkpoint", "version": 1, "root": {"array": 0, "device": "cpu"}}))
    with pytest.raises(tr.CheckpointError, match=r"c is damaged: array arrays/0.npy listed in the manifest is missing"):
        tr.load(path)


def test_pickled_array_is_refused(tmp_path):
    path = tmp_path / "c"
    tr.save({"w": tr.ones(2)}, path)
    with zipfile.ZipFile(path) as archive:
        manifest = archive.read("manifest.json")
    import io
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", manifest)
        archive.writestr("arrays/0.npy", buffer.getvalue())
    with pytest.raises(tr.CheckpointError, match="damaged or truncated: ValueError: Object arrays cannot be loaded"):
        tr.load(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tr.load(tmp_path / "nothing")

"""Module buffers as PyTorch's: register_buffer (persistent or not), named_buffers / buffers,
buffers in state_dict / load_state_dict, moved by to() / cuda() / cpu() and cast by double() / float();
and Module.to's PyTorch forms (device, dtype, tensor)."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn

torch = pytest.importorskip("torch")


class Stats(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 3)
        self.register_buffer("mean", tr.zeros(3))
        self.register_buffer("scratch", tr.ones(2), persistent=False)
        self.register_buffer("steps", tr.tensor(0))
        self.register_buffer("absent", None)


def test_named_buffers_lists_every_buffer_with_dotted_names():
    model = nn.Sequential(Stats(), nn.Linear(3, 1))
    assert [n for n, _ in model.named_buffers()] == ["0.mean", "0.scratch", "0.steps"]
    assert len(list(model.buffers())) == 3
    assert list(model.named_buffers(recurse=False)) == []
    assert [n for n, _ in model[0].named_buffers(prefix="stats")] == ["stats.mean", "stats.scratch", "stats.steps"]


def test_buffers_are_not_parameters():
    model = Stats()
    assert [n for n, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    assert not model.mean.requires_grad


def test_state_dict_holds_persistent_buffers_in_torch_order():
    class TheirStats(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 3)
            self.register_buffer("mean", torch.zeros(3))
            self.register_buffer("scratch", torch.ones(2), persistent=False)
            self.register_buffer("steps", torch.tensor(0))
            self.register_buffer("absent", None)

    assert list(Stats().state_dict()) == list(TheirStats().state_dict()) == ["mean", "steps", "fc.weight", "fc.bias"]


def test_state_dict_order_matches_torch_for_batch_norm_in_a_sequential():
    ours = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.LayerNorm(3))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.LayerNorm(3))
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_load_state_dict_fills_buffers_in_place_keeping_their_dtype():
    model = Stats()
    mean = model.mean
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    state["mean"] = np.array([1.0, 2.0, 3.0])
    state["steps"] = np.array(7)
    model.load_state_dict(state)
    assert model.mean is mean and model.mean.numpy().tolist() == [1.0, 2.0, 3.0]
    assert model.mean.dtype == tr.float32 and model.steps.dtype == tr.int64 and int(model.steps.item()) == 7


def test_load_state_dict_reports_a_missing_buffer():
    state = {k: v for k, v in Stats().state_dict().items() if k != "steps"}
    with pytest.raises(nn.StateDictError, match=r"missing keys: steps"):
        Stats().load_state_dict(state)


def test_load_state_dict_reports_a_mis_shaped_buffer():
    state = dict(Stats().state_dict(), mean=tr.zeros(4))
    with pytest.raises(nn.StateDictError, match=r"wrong shape for mean: checkpoint has shape \(4,\), the model "
                                                r"expects \(3,\)"):
        Stats().load_state_dict(state)


def test_non_persistent_buffer_is_not_expected_by_load_state_dict():
    model = Stats()
    model.load_state_dict(Stats().state_dict())
    assert "scratch" not in model.state_dict()


def test_to_moves_buffers_and_parameters(device):
    model = Stats()
    mean = model.mean
    model.to(device)
    assert model.mean is mean and all(b.device == device for b in model.buffers())
    assert model.fc.weight.device == device
    model.cpu()
    assert all(b.device == "cpu" for b in model.buffers())
    if device == "cuda":
        assert model.cuda() is model and model.mean.device == "cuda" and model.steps.device == "cuda"


def test_double_and_float_cast_floating_buffers_only():
    model = Stats().double()
    assert model.mean.dtype == tr.float64 and model.steps.dtype == tr.int64 and model.fc.weight.dtype == tr.float64
    model.float()
    assert model.mean.dtype == tr.float32 and model.steps.dtype == tr.int64


def test_to_takes_a_dtype_a_device_or_a_tensor(device):
    model = Stats().to(tr.float64)
    assert model.mean.dtype == tr.float64 and model.fc.bias.dtype == tr.float64
    model.to(device, tr.float32)
    assert model.mean.dtype == tr.float32 and model.mean.device == device
    model.to(tr.zeros(1, dtype=tr.float64))
    assert model.fc.weight.dtype == tr.float64 and model.fc.weight.device == "cpu"
    model.to(device=tr.device("cpu"), dtype=tr.float32)
    assert model.steps.dtype == tr.int64


def test_assigning_a_tensor_to_a_buffer_name_replaces_the_buffer():
    model = Stats()
    model.mean = tr.ones(3)
    assert model.state_dict()["mean"].numpy().tolist() == [1.0, 1.0, 1.0]
    model.absent = tr.zeros(1)
    assert "absent" in model.state_dict()


def test_deleting_a_buffer_removes_it():
    model = Stats()
    del model.mean
    assert "mean" not in dict(model.named_buffers())


def test_assigning_a_non_tensor_to_a_buffer_is_refused():
    with pytest.raises(TypeError, match=r"Stats: cannot assign a int to buffer 'mean' \(a Tensor or None expected\)"):
        Stats().mean = 3


def test_register_buffer_errors():
    model = Stats()
    with pytest.raises(TypeError, match=r"register_buffer: cannot assign a list object to buffer 'x'"):
        model.register_buffer("x", [1.0])
    with pytest.raises(TypeError, match=r"a Parameter belongs in register_parameter"):
        model.register_buffer("x", nn.Parameter(tr.ones(1)))
    with pytest.raises(KeyError, match=r"buffer name can't be empty or contain"):
        model.register_buffer("a.b", tr.ones(1))
    with pytest.raises(KeyError, match=r"attribute 'fc' already exists"):
        model.register_buffer("fc", tr.ones(1))
    with pytest.raises(TypeError, match=r"buffer name should be a string, got int"):
        model.register_buffer(3, tr.ones(1))


def test_register_buffer_before_init_is_refused():
    class Early(nn.Module):
        def __init__(self):
            self.register_buffer("x", tr.ones(1))

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) before registering buffers"):
        Early()


def test_buffers_survive_save_and_load(tmp_path):
    model = nn.BatchNorm1d(3)
    model(tr.randn(4, 3))
    tr.save(model.state_dict(), tmp_path / "bn.pt")
    fresh = nn.BatchNorm1d(3)
    fresh.load_state_dict(tr.load(tmp_path / "bn.pt"))
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[name].numpy(), value.numpy())
    assert int(fresh.num_batches_tracked.item()) == 1


def test_module_traversal_and_freezing_as_torch():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.LayerNorm(3), nn.Dropout2d()))
    assert [type(m).__name__ for m in model.modules()] == ["Sequential", "Linear", "Sequential", "LayerNorm",
                                                           "Dropout2d"]
    assert [n for n, _ in model.named_children()] == ["0", "1"]
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "LayerNorm", "Dropout2d", "Sequential", "Sequential"]
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_batch_norm_checkpoint_files_move_both_ways_with_torch(tmp_path):
    ours = nn.BatchNorm1d(3)
    ours(tr.randn(4, 3))
    tr.save(ours.state_dict(), tmp_path / "ours.pt")
    theirs = torch.nn.BatchNorm1d(3)
    theirs.load_state_dict(torch.load(tmp_path / "ours.pt"))
    assert int(theirs.num_batches_tracked) == 1 and theirs.num_batches_tracked.dtype == torch.int64
    np.testing.assert_array_equal(theirs.running_mean.numpy(), ours.running_mean.numpy())
    theirs(torch.randn(5, 3))
    torch.save(theirs.state_dict(), tmp_path / "theirs.pt")
    ours.load_state_dict(tr.load(tmp_path / "theirs.pt"))
    assert int(ours.num_batches_tracked.item()) == 2
    np.testing.assert_array_equal(ours.running_var.numpy(), theirs.running_var.numpy())


def test_add_module_registers_a_child_as_torch():
    model = nn.Module()
    model.add_module("fc", nn.Linear(2, 3))
    model.register_module("norm", nn.LayerNorm(3))
    assert [n for n, _ in model.named_children()] == ["fc", "norm"]
    assert list(model.state_dict()) == ["fc.weight", "fc.bias", "norm.weight", "norm.bias"]
    with pytest.raises(TypeError, match=r"Module.add_module: 'x' must be a Module or None, got int"):
        model.add_module("x", 3)
    with pytest.raises(KeyError, match=r"module name must be a non-empty string without"):
        model.add_module("a.b", nn.Linear(1, 1))


def test_zero_grad_sets_to_none_or_zeroes_as_torch():
    model = nn.Linear(2, 1)
    model(tr.ones(1, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert model.weight.grad.numpy().tolist() == [[0.0, 0.0]]
    model.zero_grad()
    assert model.weight.grad is None


def test_a_module_pickled_before_buffers_existed_unpickles_without_them():
    import pickle

    model = nn.Linear(2, 3)
    state = dict(model.__dict__)
    del state["_buffers"], state["_non_persistent_buffers_set"]
    old = nn.Linear.__new__(nn.Linear)
    old.__setstate__(state)
    assert list(old.named_buffers()) == [] and list(old.state_dict()) == ["weight", "bias"]
    again = pickle.loads(pickle.dumps(nn.BatchNorm1d(2)))
    assert [n for n, _ in again.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]


def test_whole_batch_norm_module_round_trips_through_tr_save(tmp_path):
    model = nn.BatchNorm1d(3)
    model(tr.randn(4, 3))
    tr.save(model, tmp_path / "bn.ckpt")
    with tr.serialization.safe_globals([nn.BatchNorm1d]):
        loaded = tr.load(tmp_path / "bn.ckpt")
    assert int(loaded.num_batches_tracked.item()) == 1
    np.testing.assert_array_equal(loaded.running_mean.numpy(), model.running_mean.numpy())

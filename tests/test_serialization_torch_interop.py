"""Checkpoints exchanged with PyTorch both ways: torch.save -> tr.load and tr.save -> torch.load
(with torch's default weights_only=True), for the state_dict of every recurrent layer, an optimizer's
state_dict, nested containers, non-contiguous tensors and shared storages. PyTorch is the oracle
here only; the library never imports it."""

import io
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn, optim

torch = pytest.importorskip("torch")

LAYERS = {
    "rnn_tanh": lambda m: m.RNN(3, 4), "rnn_relu": lambda m: m.RNN(3, 4, nonlinearity="relu"),
    "rnn_2layers_bi": lambda m: m.RNN(3, 4, num_layers=2, bidirectional=True),
    "lstm": lambda m: m.LSTM(3, 4), "lstm_3layers_bi": lambda m: m.LSTM(3, 4, num_layers=3, bidirectional=True),
    "lstm_no_bias": lambda m: m.LSTM(3, 4, bias=False, batch_first=True),
    "gru": lambda m: m.GRU(3, 4), "gru_2layers_bi": lambda m: m.GRU(3, 4, num_layers=2, bidirectional=True),
    "rnn_cell": lambda m: m.RNNCell(3, 4), "rnn_cell_relu": lambda m: m.RNNCell(3, 4, nonlinearity="relu"),
    "lstm_cell": lambda m: m.LSTMCell(3, 4), "gru_cell": lambda m: m.GRUCell(3, 4),
    "gru_cell_no_bias": lambda m: m.GRUCell(3, 4, bias=False),
}


def to_torch(obj):
    """tr.save in torch's format, then torch.load with its defaults."""
    buffer = io.BytesIO()
    tr.save(obj, buffer, format="torch")
    buffer.seek(0)
    return torch.load(buffer)


def from_torch(obj, **kwargs):
    buffer = io.BytesIO()
    torch.save(obj, buffer, **kwargs)
    buffer.seek(0)
    return tr.load(buffer)


def assert_same_state(ours, theirs):
    assert list(ours) == list(theirs)
    for name in ours:
        mine = ours[name].numpy()
        ref = theirs[name].detach().numpy()
        assert mine.dtype == ref.dtype and mine.shape == ref.shape, name
        np.testing.assert_array_equal(mine, ref, err_msg=name)


@pytest.mark.parametrize("layer", list(LAYERS))
def test_a_recurrent_state_dict_saved_here_loads_into_torchs_layer(layer):
    tr.manual_seed(1)
    ours = LAYERS[layer](nn)
    theirs = LAYERS[layer](torch.nn)
    loaded = to_torch(ours.state_dict())
    assert type(loaded) is OrderedDict and all(type(v) is torch.Tensor for v in loaded.values())
    theirs.load_state_dict(loaded)  # strict: every key and shape
    assert_same_state(ours.state_dict(), theirs.state_dict())


@pytest.mark.parametrize("layer", list(LAYERS))
def test_a_recurrent_state_dict_saved_by_torch_loads_into_our_layer(layer):
    torch.manual_seed(1)
    theirs = LAYERS[layer](torch.nn)
    ours = LAYERS[layer](nn)
    ours.load_state_dict(from_torch(theirs.state_dict()))
    assert_same_state(ours.state_dict(), theirs.state_dict())


@pytest.mark.parametrize("layer", ["lstm_3layers_bi", "gru_cell"])
def test_a_state_dict_survives_torch_and_back_bit_for_bit(layer):
    tr.manual_seed(2)
    ours = LAYERS[layer](nn).double()
    again = from_torch(to_torch(ours.state_dict()))
    assert_same_state(ours.state_dict(), {k: torch.from_numpy(v.numpy().copy()) for k, v in again.items()})


def adam_pair():
    tr.manual_seed(3)
    ours = nn.Linear(3, 2)
    theirs = torch.nn.Linear(3, 2)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def step_both(ours, opt, theirs, opt_t, x):
    opt.zero_grad()
    opt_t.zero_grad()
    (ours(tr.tensor(x)) ** 2).sum().backward()
    (theirs(torch.from_numpy(x)) ** 2).sum().backward()
    opt.step()
    opt_t.step()


def test_an_adam_state_saved_here_continues_in_torch_on_the_same_trajectory():
    ours, theirs = adam_pair()
    opt = optim.Adam(ours.parameters(), lr=0.05, betas=(0.8, 0.9), amsgrad=True)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    (ours(tr.tensor(x)) ** 2).sum().backward()
    opt.step()
    theirs.load_state_dict(to_torch(ours.state_dict()))
    opt_t = torch.optim.Adam(theirs.parameters(), lr=0.5)
    opt_t.load_state_dict(to_torch(opt.state_dict()))
    assert opt_t.param_groups[0]["lr"] == 0.05 and opt_t.param_groups[0]["amsgrad"]
    for _ in range(3):
        step_both(ours, opt, theirs, opt_t, x)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_an_adam_state_saved_by_torch_continues_here_on_the_same_trajectory():
    ours, theirs = adam_pair()
    opt_t = torch.optim.Adam(theirs.parameters(), lr=0.05, betas=(0.8, 0.9))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    (theirs(torch.from_numpy(x)) ** 2).sum().backward()
    opt_t.step()
    ours.load_state_dict(from_torch(theirs.state_dict()))
    opt = optim.Adam(ours.parameters(), lr=0.5)
    opt.load_state_dict(from_torch(opt_t.state_dict()))
    for _ in range(3):
        step_both(ours, opt, theirs, opt_t, x)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_nested_containers_go_both_ways():
    ours = {"list": [1, 2.5, "s", None, True, b"raw"], "tuple": (tr.ones(2), {"deep": [tr.zeros(1)]}),
            "ordered": OrderedDict(b=tr.ones(1), a=2), 3: {"int key": -1}, "set": {1, 2}}
    theirs = to_torch(ours)
    assert theirs["list"] == ours["list"] and theirs[3] == ours[3] and theirs["set"] == {1, 2}
    assert type(theirs["ordered"]) is OrderedDict and list(theirs["ordered"]) == ["b", "a"]
    assert torch.equal(theirs["tuple"][1]["deep"][0], torch.zeros(1))
    back = from_torch(theirs)
    assert back["list"] == ours["list"] and back[3] == ours[3] and type(back["ordered"]) is OrderedDict
    np.testing.assert_array_equal(back["tuple"][0].numpy(), np.ones(2, dtype=np.float32))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                                   "bool", "complex64", "complex128", "uint16", "uint32", "uint64"])
def test_every_dtype_goes_both_ways(dtype):
    values = (np.arange(6) % 4).astype(dtype).reshape(2, 3)
    theirs = to_torch({"t": tr.tensor(values)})["t"]
    assert str(theirs.dtype) == f"torch.{dtype}"
    assert theirs.tolist() == values.tolist()
    back = from_torch({"t": theirs})["t"]
    assert back.dtype == values.dtype and back.tolist() == values.tolist()


def test_requires_grad_and_parameters_go_both_ways():
    theirs = to_torch({"p": nn.Parameter(tr.ones(2)), "g": tr.ones(2, requires_grad=True), "n": tr.ones(2)})
    assert type(theirs["p"]) is torch.nn.Parameter and theirs["g"].requires_grad and not theirs["n"].requires_grad
    back = from_torch(theirs)
    assert type(back["p"]) is nn.Parameter and back["g"].requires_grad and not back["n"].requires_grad


def test_non_contiguous_tensors_keep_their_strides_in_torch():
    base = tr.tensor(np.arange(24.0, dtype=np.float32).reshape(4, 6))
    theirs = to_torch({"t": base.transpose(0, 1), "s": base[1:, ::2]})
    assert theirs["t"].stride() == (1, 6) and theirs["s"].stride() == (6, 2) and theirs["s"].storage_offset() == 6
    np.testing.assert_array_equal(theirs["t"].numpy(), base.numpy().T)
    np.testing.assert_array_equal(theirs["s"].numpy(), base.numpy()[1:, ::2])


def test_non_contiguous_tensors_saved_by_torch_load_with_their_values():
    base = torch.arange(60.0).reshape(3, 4, 5)
    views = {"perm": base.permute(2, 0, 1), "step": base[:, ::2, 1::3], "offset": base[1:, 2], "exp":
             torch.arange(3.0).expand(2, 3)}
    back = from_torch(views)
    for name, view in views.items():
        np.testing.assert_array_equal(back[name].numpy(), view.numpy(), err_msg=name)


def test_shared_storages_stay_shared_both_ways():
    base = tr.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    theirs = to_torch({"base": base, "row": base[1], "col": base[:, 2]})
    pointers = {t.untyped_storage().data_ptr() for t in theirs.values()}
    assert len(pointers) == 1
    theirs["base"][1, 0] = -1.0
    assert theirs["row"][0].item() == -1.0
    back = from_torch(theirs)
    assert np.shares_memory(back["base"].array, back["row"].array)
    assert np.shares_memory(back["base"].array, back["col"].array)
    np.testing.assert_array_equal(back["col"].numpy(), theirs["col"].numpy())


def test_torchs_legacy_format_loads():
    state = torch.nn.GRU(2, 3).state_dict()
    back = from_torch(state, _use_new_zipfile_serialization=False)
    assert_same_state(back, state)


def test_a_whole_module_saved_here_is_refused_by_torchs_default_load():
    with pytest.raises(Exception, match="tinygrad_rnn.nn.linear.Linear"):
        to_torch(nn.Linear(2, 2))

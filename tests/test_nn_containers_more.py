"""ModuleDict, ParameterList, ParameterDict and Sequential(OrderedDict) as PyTorch's: the same
state_dict keys (so weights move both ways), parameters() in the same order, bad keys named."""

from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_rnn as tr
import tinygrad_rnn.nn as nn
from tinygrad_rnn.errors import OpError

torch = pytest.importorskip("torch")


def build(lib):
    m = lib.nn
    heads = m.ModuleDict({"tag": m.Linear(3, 2), "label": m.Linear(3, 4)})
    heads["extra"] = m.Linear(3, 1)
    scales = m.ParameterList([m.Parameter(lib.ones(2)), m.Parameter(lib.zeros(3))])
    gains = m.ParameterDict({"a": m.Parameter(lib.ones(1))})
    body = m.Sequential(OrderedDict([("fc", m.Linear(2, 3)), ("act", m.Tanh())]))
    return m.ModuleDict({"heads": heads, "body": body}), scales, gains


def test_keys_and_order_match_pytorch():
    for ours, theirs in zip(build(tr), build(torch)):
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]


def test_weights_move_from_pytorch_and_give_its_numbers():
    ours, _, _ = build(tr)
    theirs, _, _ = build(torch)
    ours.load_state_dict({k: tr.from_numpy(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    h, th = ours["body"](tr.from_numpy(x)), theirs["body"](torch.from_numpy(x))
    assert ours["body"].fc is ours["body"][0]
    for key in ("tag", "label", "extra"):
        np.testing.assert_allclose(ours["heads"][key](h).detach().numpy(), theirs["heads"][key](th).detach().numpy(),
                                   rtol=1e-5, atol=1e-6)  # float32, summed in another order


def test_dict_and_list_behaviour():
    heads, scales, gains = build(tr)
    assert list(heads["heads"].keys()) == ["tag", "label", "extra"] and "tag" in heads["heads"]
    popped = heads["heads"].pop("extra")
    assert isinstance(popped, nn.Linear) and "extra" not in heads["heads"]
    del heads["heads"]["label"]
    assert list(heads.state_dict()) == ["heads.tag.weight", "heads.tag.bias", "body.fc.weight", "body.fc.bias"]
    scales.append(tr.ones(4))                       # a Tensor becomes a Parameter
    assert len(scales) == 3 and isinstance(scales[2], nn.Parameter) and scales[2].requires_grad
    assert [k for k, _ in gains.items()] == ["a"]


def test_bad_keys_are_named():
    with pytest.raises(OpError, match="ModuleDict: keys must be strings, got int 3"):
        nn.ModuleDict({3: nn.Linear(1, 1)})
    with pytest.raises(OpError, match="ModuleDict: key 'a.b' must be a non-empty name without '.'"):
        nn.ModuleDict({"a.b": nn.Linear(1, 1)})
    with pytest.raises(OpError, match="ModuleDict: key 'items' is the name of a ModuleDict method"):
        nn.ModuleDict({"items": nn.Linear(1, 1)})
    with pytest.raises(OpError, match="ParameterList: expected a Parameter or a Tensor, got float"):
        nn.ParameterList([1.0])

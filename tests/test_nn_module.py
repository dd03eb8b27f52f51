"""Module and Parameter: registration, traversal, modes, state_dict round trips and errors."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(3, 4)
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.Dropout(0.2)])
        self.head = nn.Sequential(nn.Tanh(), nn.Linear(4, 2, bias=False))
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))

    def forward(self, x):
        x = self.blocks[0](self.encoder(x))
        return self.head(self.blocks[1](x)) * self.scale


def test_named_parameters_are_dotted_and_in_registration_order():
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["scale", "encoder.weight", "encoder.bias", "blocks.0.weight", "blocks.0.bias", "head.1.weight"]


def test_shared_parameter_is_listed_once():
    net = Net()
    net.tied = net.encoder  # the same module under two names
    assert len(list(net.parameters())) == 6


def test_children_and_modules():
    net = Net()
    assert [type(c).__name__ for c in net.children()] == ["Linear", "ModuleList", "Sequential"]
    assert len(list(net.modules())) == 8


def test_train_and_eval_are_recursive():
    net = Net().eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_clears_every_gradient():
    net = Net()
    net(tr.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_repr_shows_the_module_tree():
    text = repr(Net())
    assert "(encoder): Linear(in_features=3, out_features=4, bias=True)" in text
    assert "(1): Dropout(p=0.2)" in text and "(0): Tanh()" in text


def test_state_dict_round_trip_copies_values():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)
        assert p.array is not q.array


def test_load_state_dict_accepts_numpy_arrays():
    net = Net()
    arrays = {k: np.full(v.shape, 0.5) for k, v in net.state_dict().items()}
    net.load_state_dict(arrays)
    assert net.encoder.weight.dtype == np.float32 and (net.encoder.weight.numpy() == 0.5).all()


def test_load_state_dict_reports_missing_unexpected_and_wrong_shape_together():
    net = Net()
    state = {k: v.numpy() for k, v in net.state_dict().items()}
    del state["encoder.bias"]
    state["decoder.weight"] = np.zeros(3)
    state["head.1.weight"] = np.zeros((3, 3))
    with pytest.raises(nn.StateDictError) as info:
        net.load_state_dict(state)
    message = str(info.value)
    assert "missing keys: encoder.bias" in message
    assert "unexpected keys: decoder.weight" in message
    assert "wrong shape for head.1.weight: checkpoint has shape (3, 3), the model expects (2, 4)" in message


def test_load_state_dict_non_strict_skips_missing_and_unexpected_keys():
    net = Net()
    missing, unexpected = net.load_state_dict({"encoder.bias": np.zeros(4), "extra": np.zeros(1)}, strict=False)
    assert "encoder.weight" in missing and unexpected == ["extra"]
    assert (net.encoder.bias.numpy() == 0).all()


def test_load_state_dict_non_strict_still_refuses_wrong_shapes():
    with pytest.raises(nn.StateDictError, match="wrong shape for encoder.bias"):
        Net().load_state_dict({"encoder.bias": np.zeros(5)}, strict=False)


def test_pytorch_state_dict_loads_and_gives_the_same_outputs():
    torch = pytest.importorskip("torch")
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(ours(tr.tensor(x, dtype=tr.float64)).numpy(), ref(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)
    back = {k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()}
    ref.load_state_dict(back)  # and the other way round, unchanged


def test_assigning_before_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) before assigning"):
        Broken()


def test_to_keeps_parameter_identity(device):
    net = Net()
    before = list(net.parameters())
    net.to(device)
    assert all(a is b for a, b in zip(net.parameters(), before))
    assert all(p.device == device for p in net.parameters())


def test_apply_visits_children_before_their_parent():
    visited = []
    Net().apply(lambda m: visited.append(type(m).__name__))
    assert visited[0] == "Linear" and visited[-1] == "Net" and len(visited) == 8


def test_apply_with_init_reinitialises_every_linear():
    net = Net()

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)
    net.apply(init_weights)
    assert (net.encoder.weight.numpy() == 0).all() and (net.head[1].weight.numpy() == 0).all()


def test_requires_grad_false_freezes_every_parameter():
    net = Net().requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_forward_hooks_as_pytorch():
    torch = pytest.importorskip("torch")
    seen = {}
    for lib in (tr, torch):
        lin = lib.nn.Linear(2, 2)
        calls = []
        pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        post = lin.register_forward_hook(lambda m, args, out, calls=calls: calls.append((tuple(args[0].shape), 0)) or
                                         out * 0)
        out = lin(lib.ones(3, 2))
        seen[lib.__name__] = (len(calls), calls[0][0], float(out.abs().sum()), "_forward_hooks" in lin.state_dict())
        pre.remove()
        post.remove()
        assert float(lin(lib.ones(3, 2)).abs().sum()) > 0          # removed: the output is the layer's again
    assert seen["tinygrad_rnn"] == seen["torch"] == (1, (3, 2), 0.0, False)


def test_forward_hook_handle_as_context_manager_and_bad_hook():
    lin = nn.Linear(2, 1)
    outputs = []
    with lin.register_forward_hook(lambda m, a, o: outputs.append(o)):
        lin(tr.ones(1, 2))
    lin(tr.ones(1, 2))
    assert len(outputs) == 1
    with pytest.raises(TypeError, match="Linear.register_forward_hook: the hook must be callable, got int"):
        lin.register_forward_hook(3)

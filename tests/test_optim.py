"""Optimizers: ten steps against PyTorch with non-default hyperparameters,
parameter groups, zero_grad, state_dict resume bit for bit, errors."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import optim

CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.05)),
    ("SGD", dict(lr=0.3)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, betas=(0.7, 0.9), eps=1e-5, weight_decay=0.2)),
    ("AdamW", dict(lr=0.05, betas=(0.7, 0.9), eps=1e-5, weight_decay=0.2, amsgrad=True)),
    ("RMSprop", dict(lr=0.02, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.02, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.7, centered=True)),
    ("RMSprop", dict(lr=0.02, alpha=0.8, momentum=0.5)),
    ("Adagrad", dict(lr=0.2, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3, eps=1e-7)),
    ("Adadelta", dict(lr=0.7, rho=0.8, eps=1e-5, weight_decay=0.1)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw in CASES]


def start_values():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((3, 4)), rng.standard_normal((3,)), rng.standard_normal((4,))]


def our_loss(w, b, x):
    """A small non-quadratic objective, so every optimizer sees changing gradients."""
    y = (w @ x + b).tanh()
    return (y * y).sum() + (w * w * w).sum() * 0.1 + (x.abs()).sum()


def torch_loss(torch, w, b, x):
    y = torch.tanh(w @ x + b)
    return (y * y).sum() + (w * w * w).sum() * 0.1 + x.abs().sum()


def our_run(name, kwargs, steps, values=None, dtype=tr.float64, groups=None):
    params = [tr.tensor(v, dtype=dtype, requires_grad=True) for v in (values or start_values())]
    opt = getattr(optim, name)(groups(params) if groups else params, **kwargs)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        our_loss(*params).backward()
        opt.step()
        history.append([p.numpy().copy() for p in params])
    return params, opt, history


@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
def test_ten_steps_match_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    _, _, ours = our_run(name, kwargs, 10)
    params = [torch.tensor(v, requires_grad=True) for v in start_values()]
    opt = getattr(torch.optim, name)(params, **kwargs)
    for step in range(10):
        opt.zero_grad()
        torch_loss(torch, *params).backward()
        opt.step()
        for ours_p, theirs_p in zip(ours[step], params):
            np.testing.assert_allclose(ours_p, theirs_p.detach().numpy(), rtol=1e-12, atol=1e-14,
                                       err_msg=f"{name} after step {step + 1}")


def test_parameter_groups_use_their_own_hyperparameters_as_pytorch():
    torch = pytest.importorskip("torch")

    def groups(ps):
        return [{"params": ps[:1]}, {"params": ps[1:], "lr": 0.01, "momentum": 0.5}]
    _, opt, ours = our_run("SGD", dict(lr=0.1, momentum=0.9), 10, groups=groups)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    params = [torch.tensor(v, requires_grad=True) for v in start_values()]
    topt = torch.optim.SGD(groups(params), lr=0.1, momentum=0.9)
    for _ in range(10):
        topt.zero_grad()
        torch_loss(torch, *params).backward()
        topt.step()
    for a, b in zip(ours[-1], params):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-12)


def test_parameters_without_gradient_are_left_alone():
    a, b = tr.ones(2, requires_grad=True), tr.ones(2, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    (a * 3).sum().backward()
    opt.step()
    assert (b.numpy() == 1).all() and b not in opt.state and (a.numpy() < 1).all()


def test_zero_grad_sets_gradients_to_none():
    params, opt, _ = our_run("SGD", dict(lr=0.1), 1)
    our_loss(*params).backward()
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_step_moves_the_version_counter_so_stale_graphs_refuse_backward():
    w = tr.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    (w * w).sum().backward()
    opt.step()
    with pytest.raises(tr.GraphError, match="modified in place after the forward pass"):
        loss.backward()


def test_step_returns_the_closure_loss():
    w = tr.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    assert opt.step(closure).item() == 2.0
    np.testing.assert_allclose(w.numpy(), 0.0)


@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
def test_resumed_training_equals_uninterrupted_bit_for_bit(name, kwargs, tmp_path):
    _, _, straight = our_run(name, kwargs, 8, dtype=tr.float32)
    params, opt, _ = our_run(name, kwargs, 4, dtype=tr.float32)
    tr.save({"params": [p.detach() for p in params], "optimizer": opt.state_dict()}, tmp_path / "ckpt")
    del params, opt

    checkpoint = tr.load(tmp_path / "ckpt")
    params = [tr.tensor(v, requires_grad=True) for v in checkpoint["params"]]
    opt = getattr(optim, name)(params, **{**kwargs, "lr": 123.0})  # the checkpoint's lr must win
    opt.load_state_dict(checkpoint["optimizer"])
    for step in range(4, 8):
        opt.zero_grad()
        our_loss(*params).backward()
        opt.step()
        for p, expected in zip(params, straight[step]):
            np.testing.assert_array_equal(p.numpy(), expected)


def test_state_dict_numbers_parameters_across_groups():
    a, b, c = (tr.ones(2, requires_grad=True) for _ in range(3))
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}])
    (a + b + c).sum().backward()
    opt.step()
    state = opt.state_dict()
    assert [g["params"] for g in state["param_groups"]] == [[0, 1], [2]]
    assert sorted(state["state"]) == [0, 1, 2] and state["state"][2]["step"] == 1
    assert state["param_groups"][1]["lr"] == 0.5


def test_state_dict_is_a_snapshot():
    w = tr.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    saved = opt.state_dict()
    before = saved["state"][0]["momentum_buffer"].copy()
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], before)


def test_load_state_dict_refuses_a_different_group_layout():
    a, b = tr.ones(2, requires_grad=True), tr.ones(2, requires_grad=True)
    saved = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(tr.OpError, match="parameter group 0 has 2 parameters in the checkpoint but 1 here"):
        optim.SGD([a], lr=0.1).load_state_dict(saved)
    with pytest.raises(tr.OpError, match="the checkpoint has 1 parameter groups, this optimizer has 2"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)


def test_load_state_dict_refuses_a_buffer_of_the_wrong_shape():
    a = tr.ones(2, requires_grad=True)
    saved = {"state": {0: {"step": 1, "momentum_buffer": np.zeros(3)}},
             "param_groups": [{"lr": 0.1, "momentum": 0.9, "dampening": 0, "weight_decay": 0,
                               "nesterov": False, "params": [0]}]}
    with pytest.raises(tr.OpError, match=r"buffer 'momentum_buffer' has shape \(3,\) but its parameter has shape"):
        optim.SGD([a], lr=0.1).load_state_dict(saved)


def test_empty_parameter_list_is_refused():
    with pytest.raises(tr.OpError, match="Adam: got an empty parameter list"):
        optim.Adam([])


def test_parameter_in_two_groups_is_refused():
    w = tr.ones(2, requires_grad=True)
    with pytest.raises(tr.OpError, match="appears in more than one group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


def test_single_tensor_instead_of_list_is_explained():
    with pytest.raises(tr.OpError, match="got a single Tensor; wrap it in a list"):
        optim.SGD(tr.ones(2, requires_grad=True), lr=0.1)


def test_invalid_hyperparameters_are_refused():
    w = [tr.ones(1, requires_grad=True)]
    with pytest.raises(tr.OpError, match="SGD: Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD(w, lr=0.1, nesterov=True)
    with pytest.raises(tr.OpError, match=r"Adam: Invalid beta parameter at index 1: 1.0 \(expected a number in"):
        optim.Adam(w, betas=(0.9, 1.0))
    with pytest.raises(tr.OpError, match=r"RMSprop: Invalid learning rate: -1 \(expected a number >= 0\)"):
        optim.RMSprop(w, lr=-1)


def test_adamw_default_weight_decay_is_pytorchs():
    assert optim.AdamW([tr.ones(1, requires_grad=True)]).defaults["weight_decay"] == 1e-2

"""Hyperparameters and checkpoints are validated as PyTorch does: the same inputs
raise ValueError in both libraries, with torch's words after the optimizer's name."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import optim

NAN = float("nan")

BAD = [
    ("SGD", dict(lr=-0.1), r"SGD: Invalid learning rate: -0.1 \(expected a number >= 0\)"),
    ("SGD", dict(lr=NAN), r"SGD: Invalid learning rate: nan"),
    ("SGD", dict(lr=0.1, momentum=-0.5), r"SGD: Invalid momentum value: -0.5"),
    ("SGD", dict(lr=0.1, weight_decay=-1e-4), r"SGD: Invalid weight_decay value: -0.0001"),
    ("SGD", dict(lr=0.1, nesterov=True), r"SGD: Nesterov momentum requires a momentum and zero dampening "
                                         r"\(needs momentum > 0 and dampening = 0, got momentum=0.0, dampening=0.0\)"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     r"SGD: Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", dict(lr=-1e-3), r"Adam: Invalid learning rate: -0.001"),
    ("Adam", dict(eps=-1e-8), r"Adam: Invalid epsilon value: -1e-08"),
    ("Adam", dict(betas=(1.0, 0.999)),
     r"Adam: Invalid beta parameter at index 0: 1.0 \(expected a number in \[0, 1\)\)"),
    ("Adam", dict(betas=(0.9, -0.1)), r"Adam: Invalid beta parameter at index 1: -0.1"),
    ("Adam", dict(betas=(0.9, NAN)), r"Adam: Invalid beta parameter at index 1: nan"),
    ("Adam", dict(weight_decay=-0.1), r"Adam: Invalid weight_decay value: -0.1"),
    ("AdamW", dict(lr=NAN), r"AdamW: Invalid learning rate: nan"),
    ("AdamW", dict(betas=(0.9, 1.5)), r"AdamW: Invalid beta parameter at index 1: 1.5"),
    ("AdamW", dict(weight_decay=-0.01), r"AdamW: Invalid weight_decay value: -0.01"),
    ("RMSprop", dict(lr=-0.01), r"RMSprop: Invalid learning rate: -0.01"),
    ("RMSprop", dict(eps=-1.0), r"RMSprop: Invalid epsilon value: -1.0"),
    ("RMSprop", dict(momentum=-0.9), r"RMSprop: Invalid momentum value: -0.9"),
    ("RMSprop", dict(weight_decay=-0.9), r"RMSprop: Invalid weight_decay value: -0.9"),
    ("RMSprop", dict(alpha=-0.99), r"RMSprop: Invalid alpha value: -0.99"),
    ("RMSprop", dict(alpha=NAN), r"RMSprop: Invalid alpha value: nan"),
    ("Adagrad", dict(lr=-0.01), r"Adagrad: Invalid learning rate: -0.01"),
    ("Adagrad", dict(lr_decay=-0.1), r"Adagrad: Invalid lr_decay value: -0.1"),
    ("Adagrad", dict(weight_decay=-0.1), r"Adagrad: Invalid weight_decay value: -0.1"),
    ("Adagrad", dict(initial_accumulator_value=-0.1), r"Adagrad: Invalid initial_accumulator_value value: -0.1"),
    ("Adagrad", dict(eps=-1e-10), r"Adagrad: Invalid epsilon value: -1e-10"),
    ("Adadelta", dict(lr=-1.0), r"Adadelta: Invalid learning rate: -1.0"),
    ("Adadelta", dict(rho=1.5), r"Adadelta: Invalid rho value: 1.5 \(expected a number in \[0, 1.0\]\)"),
    ("Adadelta", dict(rho=-0.1), r"Adadelta: Invalid rho value: -0.1"),
    ("Adadelta", dict(eps=-1e-6), r"Adadelta: Invalid epsilon value: -1e-06"),
    ("Adadelta", dict(weight_decay=-1.0), r"Adadelta: Invalid weight_decay value: -1.0"),
    ("LBFGS", dict(lr=-1.0), r"LBFGS: Invalid learning rate: -1.0"),
]


def one_param(lib):
    return [lib.ones(2, requires_grad=True)]


@pytest.mark.parametrize("name, kwargs, message", BAD, ids=[f"{n}-{k}" for n, k, _ in BAD])
def test_bad_hyperparameter_raises_valueerror_naming_it(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)(one_param(tr), **kwargs)


# torch's SGD tests `lr < 0`, which NaN passes; this library refuses a NaN lr everywhere (the issue asks it)
STRICTER_THAN_TORCH = {("SGD", "lr=nan")}
AS_TORCH = [case for case in BAD if (case[0], ",".join(f"{k}={v}" for k, v in case[1].items()))
            not in STRICTER_THAN_TORCH]


def test_sgd_refuses_a_nan_lr_that_torch_lets_through():
    torch = pytest.importorskip("torch")
    torch.optim.SGD(one_param(torch), lr=NAN)  # accepted there, and every step then writes NaN
    with pytest.raises(ValueError, match="SGD: Invalid learning rate: nan"):
        optim.SGD(one_param(tr), lr=NAN)


@pytest.mark.parametrize("name, kwargs, message", AS_TORCH, ids=[f"{n}-{k}" for n, k, _ in AS_TORCH])
def test_pytorch_refuses_the_same_hyperparameter(name, kwargs, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=message.split(": ", 1)[1].split(r" \(")[0]):
        getattr(torch.optim, name)(one_param(torch), **kwargs)


@pytest.mark.parametrize("betas, message", [
    (0.9, r"Adam: betas must be a pair \(beta1, beta2\) of numbers in \[0, 1\), got 0.9"),
    ((0.9,), r"Adam: betas must be a pair \(beta1, beta2\) of numbers in \[0, 1\), got \(0.9,\)"),
    ((0.9, 0.99, 0.999), r"Adam: betas must be a pair"),
    ("ab", r"Adam: betas must be a pair \(beta1, beta2\) of numbers in \[0, 1\), got 'ab'"),
    ((0.9, "0.99"), r"Adam: betas\[1\] must be a number, got '0.99'"),
])
def test_malformed_betas_are_refused(betas, message):
    with pytest.raises(ValueError, match=message):
        optim.Adam(one_param(tr), betas=betas)


def test_a_string_hyperparameter_is_refused():
    with pytest.raises(ValueError, match=r"RMSprop: momentum must be a number, got '0.9'"):
        optim.RMSprop(one_param(tr), momentum="0.9")


def test_edge_values_torch_accepts_are_accepted():
    torch = pytest.importorskip("torch")
    for name, kwargs in [("SGD", dict(lr=0.0)), ("Adam", dict(betas=(0.0, 0.0), eps=0.0)),
                         ("Adadelta", dict(rho=1.0)), ("Adadelta", dict(rho=0.0)), ("RMSprop", dict(alpha=0.0))]:
        getattr(optim, name)(one_param(tr), **kwargs)
        getattr(torch.optim, name)(one_param(torch), **kwargs)


# ---- load_state_dict ---------------------------------------------------------------------------

def two_params():
    return tr.ones(2, requires_grad=True), tr.ones(3, requires_grad=True)


def test_a_different_number_of_groups_is_refused_in_torchs_words():
    a, b = two_params()
    saved = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="SGD.load_state_dict: loaded state dict has a different number of "
                                         "parameter groups: the checkpoint has 1 parameter groups, "
                                         "this optimizer has 2"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)


def test_a_group_of_another_size_is_refused_in_torchs_words():
    a, b = two_params()
    saved = optim.Adam([a, b]).state_dict()
    with pytest.raises(ValueError, match="Adam.load_state_dict: loaded state dict contains a parameter group that "
                                         "doesn't match the size of optimizer's group: parameter group 0 has 2 "
                                         "parameters in the checkpoint but 1 here"):
        optim.Adam([a]).load_state_dict(saved)


def test_torch_refuses_the_same_mismatches():
    torch = pytest.importorskip("torch")
    a, b = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    saved = torch.optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        torch.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        torch.optim.SGD([a], lr=0.1).load_state_dict(saved)


def sgd_state(state, params=(0,)):
    return {"state": state, "param_groups": [{"lr": 0.1, "momentum": 0.9, "dampening": 0, "weight_decay": 0,
                                              "nesterov": False, "params": list(params)}]}


@pytest.mark.parametrize("saved, message", [
    (sgd_state({0: {"momentum_buffer": np.array(["a", "b"])}}),
     r"buffer 'momentum_buffer' holds an array of dtype <U1; expected numbers"),
    (sgd_state({0: {"momentum_buffer": np.array([object(), object()])}}),
     r"buffer 'momentum_buffer' holds an array of dtype object; expected numbers"),
    (sgd_state({"0": {"momentum_buffer": np.zeros(2)}}),
     r"SGD.load_state_dict: state keys must be parameter indices \(ints\) mapping to dicts of buffers, got '0'"),
    (sgd_state({0: [1, 2]}), r"state keys must be parameter indices \(ints\) mapping to dicts of buffers, got 0: list"),
    (sgd_state({0: {1: np.zeros(2)}}), r"SGD.load_state_dict: buffer names must be strings, got 1"),
    (sgd_state({5: {"momentum_buffer": np.zeros(2)}}), r"state for parameter 5, which no group holds"),
    ({"state": {}, "param_groups": "abc"}, r"expected 'param_groups' a list of dicts each with a 'params' list"),
    ({"state": {}, "param_groups": [{"lr": 0.1}]}, r"expected 'param_groups' a list of dicts each with a 'params'"),
    ({"state": [], "param_groups": []}, r"and 'state' a dict, got list and list"),
])
def test_malformed_optimizer_state_is_refused(saved, message):
    with pytest.raises(ValueError, match=message):
        optim.SGD([tr.ones(2, requires_grad=True)], lr=0.1).load_state_dict(saved)


def test_a_refused_load_leaves_the_optimizer_unchanged():
    w = tr.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    before = opt.state_dict()
    with pytest.raises(ValueError):
        opt.load_state_dict(sgd_state({0: {"momentum_buffer": np.array(["x", "y"])}}))
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["momentum_buffer"], before["state"][0]["momentum_buffer"])


def test_a_torch_state_dict_with_numpy_integer_keys_loads():
    w = tr.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    opt.load_state_dict(sgd_state({np.int64(0): {"momentum_buffer": np.full(2, 0.5)}}))
    np.testing.assert_array_equal(opt.state[w]["momentum_buffer"], [0.5, 0.5])

"""The NumPy floor of the benchmark (tools/numpy_floor.py) computes the right
gradients, so the speed it sets is the speed of a correct step: its manual
BPTT must agree with central differences, with PyTorch's autograd and with
this library's recurrent layers, in float64 on tiny sizes."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import tinygrad_rnn as tr
import tinygrad_rnn.nn  # noqa: F401  (tr.nn)

_spec = importlib.util.spec_from_file_location("numpy_floor", Path(__file__).parents[1] / "tools" / "numpy_floor.py")
floor = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(floor)

KINDS = ["lstm", "gru", "rnn"]
LAYOUTS = ["row", "gate"]  # the gate activations as (T, B, G*H) or gate-major (G, T, B, H)
STEPS, BATCH, INPUT, HIDDEN, OUTPUT = 4, 3, 3, 4, 2


def _problem(kind, seed=1):
    params = floor.init_params(kind, INPUT, HIDDEN, OUTPUT, dtype=np.float64, seed=seed)
    x = np.random.default_rng(seed + 1).standard_normal((STEPS, BATCH, INPUT))
    return params, x


def _reference_loss(kind, params, x):
    """The loss written as plainly as possible, one step at a time, for central differences."""
    def sigmoid(a):
        return 1 / (1 + np.exp(-a))
    hidden = params["weight_hh"].shape[1]
    h = np.zeros((x.shape[1], hidden))
    c = np.zeros_like(h)
    loss = 0.0
    for x_t in x:
        gx = x_t @ params["weight_ih"].T + params["bias_ih"]
        gh = h @ params["weight_hh"].T + params["bias_hh"]
        if kind == "lstm":
            i, f, g, o = np.split(gx + gh, 4, axis=1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        elif kind == "gru":
            (xr, xz, xn), (hr, hz, hn) = np.split(gx, 3, axis=1), np.split(gh, 3, axis=1)
            r, z = sigmoid(xr + hr), sigmoid(xz + hz)
            n = np.tanh(xn + r * hn)
            h = (1 - z) * n + z * h
        else:
            h = np.tanh(gx + gh)
        y = h @ params["head_weight"].T + params["head_bias"]
        loss += np.mean(y ** 2)
    return loss


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_floor_loss_equals_the_stepwise_definition(kind, layout):
    params, x = _problem(kind)
    loss, _ = floor.loss_and_grads(kind, params, x, layout)
    assert loss == pytest.approx(_reference_loss(kind, params, x), rel=1e-12)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_floor_gradients_match_central_differences(kind, layout):
    params, x = _problem(kind)
    _, grads = floor.loss_and_grads(kind, params, x, layout)
    eps = 1e-6
    for name, p in params.items():
        numeric = np.zeros_like(p)
        flat, out = p.reshape(-1), numeric.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = _reference_loss(kind, params, x)
            flat[i] = old - eps
            down = _reference_loss(kind, params, x)
            flat[i] = old
            out[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8, err_msg=f"{kind} {name}")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_floor_gradients_match_pytorch_autograd(kind, layout):
    torch = pytest.importorskip("torch")
    params, x = _problem(kind)
    loss, grads = floor.loss_and_grads(kind, params, x, layout)
    layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind](INPUT, HIDDEN).double()
    head = torch.nn.Linear(HIDDEN, OUTPUT).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(layer, f"{name}_l0").copy_(torch.from_numpy(params[name]))
        head.weight.copy_(torch.from_numpy(params["head_weight"]))
        head.bias.copy_(torch.from_numpy(params["head_bias"]))
    out, _ = layer(torch.from_numpy(x))
    torch_loss = (head(out) ** 2).mean(dim=(1, 2)).sum()
    torch_loss.backward()
    expected = {name: getattr(layer, f"{name}_l0").grad.numpy() for name in ("weight_ih", "weight_hh",
                                                                            "bias_ih", "bias_hh")}
    expected.update(head_weight=head.weight.grad.numpy(), head_bias=head.bias.grad.numpy())
    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    for name, g in expected.items():
        np.testing.assert_allclose(grads[name], g, rtol=1e-10, atol=1e-12, err_msg=f"{kind} {name}")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_floor_gradients_match_the_library_layers(kind, layout):
    layer_class = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[kind]
    params, x = _problem(kind)
    loss, grads = floor.loss_and_grads(kind, params, x, layout)
    layer = getattr(tr.nn, layer_class)(INPUT, HIDDEN).double()
    head = tr.nn.Linear(HIDDEN, OUTPUT).double()
    layer.load_state_dict({f"{name}_l0": params[name] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    head.load_state_dict({"weight": params["head_weight"], "bias": params["head_bias"]})
    out = layer(tr.tensor(x, dtype=tr.float64))[0]
    y = head(out)
    ours = (y * y).mean(axis=(1, 2)).sum()
    ours.backward()
    assert loss == pytest.approx(ours.item(), rel=1e-12)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        np.testing.assert_allclose(grads[name], getattr(layer, f"{name}_l0").grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{kind} {name}")
    np.testing.assert_allclose(grads["head_weight"], head.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["head_bias"], head.bias.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_floor_loss_and_grads_leaves_the_parameters_unchanged(kind, layout):
    params, x = _problem(kind)
    before = {name: p.copy() for name, p in params.items()}
    floor.loss_and_grads(kind, params, x, layout)
    for name, p in params.items():
        np.testing.assert_array_equal(p, before[name])


def test_floor_train_step_is_one_sgd_update():
    params, x = _problem("lstm")
    _, grads = floor.loss_and_grads("lstm", params, x)
    expected = {name: p - 0.1 * grads[name] for name, p in params.items()}
    floor.train_step("lstm", params, x, lr=0.1)
    for name, p in params.items():
        np.testing.assert_allclose(p, expected[name], rtol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_floor_runs_in_float32(kind):
    params = floor.init_params(kind, INPUT, HIDDEN, OUTPUT, dtype=np.float32)
    x = np.random.default_rng(0).standard_normal((STEPS, BATCH, INPUT)).astype(np.float32)
    _, grads = floor.loss_and_grads(kind, params, x)
    assert all(g.dtype == np.float32 for g in grads.values())

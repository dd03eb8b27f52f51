"""Numerical edge cases beyond the engine: losses and recurrent layers at their limits, checked
against PyTorch where it has the same thing, and memory that stays flat over many training steps."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.errors import OpError

try:
    import torch
except ImportError:  # the PyTorch comparisons skip; the other edge cases still run
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the test oracle) is not installed")
F = nn.functional

LAYERS = ["RNN", "LSTM", "GRU"]


def layer_pair(name, device, input_size=3, hidden_size=4, **options):
    """Our layer (on `device`) and PyTorch's, float64, with PyTorch's weights."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(input_size, hidden_size, **options).double()
    ours = getattr(nn, name)(input_size, hidden_size, **options).double().to(device)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def states(state):
    return list(state) if isinstance(state, tuple) else [state]


def assert_same_forward_and_gradients(ours, theirs, x_np, device):
    """Outputs, final states and the gradients of the input and every parameter agree to 1e-10."""
    x_t = torch.tensor(x_np, requires_grad=True)
    out_t, state_t = theirs(x_t)
    (out_t.sum() + sum(s.sum() for s in states(state_t))).backward()
    x = tr.tensor(x_np, requires_grad=True, device=device)
    out, state = ours(x)
    total = out.sum()
    for s in states(state):
        total = total + s.sum()
    total.backward()
    for a, b in zip([out] + states(state), [out_t] + states(state_t)):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), rtol=1e-10, atol=1e-12)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=1e-10, atol=1e-12)


# ---- cross_entropy -----------------------------------------------------------------------------

@needs_torch
def test_cross_entropy_with_every_target_ignored_is_nan_with_zero_gradient_as_pytorch(device):
    logits_np = np.random.default_rng(0).standard_normal((3, 4))
    target = np.array([-100, -100, -100])
    x_t = torch.tensor(logits_np, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(x_t, torch.tensor(target))
    loss_t.backward()
    x = tr.tensor(logits_np, requires_grad=True, device=device)
    loss = F.cross_entropy(x, tr.tensor(target, device=device))
    loss.backward()
    assert math.isnan(loss.item()) and math.isnan(loss_t.item())
    np.testing.assert_array_equal(x.grad.numpy(), x_t.grad.numpy())
    assert not x.grad.numpy().any()


@needs_torch
@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_cross_entropy_with_every_target_ignored_sums_to_zero_as_pytorch(reduction, device):
    logits_np = np.random.default_rng(0).standard_normal((3, 4))
    target = np.array([-100, -100, -100])
    theirs = torch.nn.functional.cross_entropy(torch.tensor(logits_np), torch.tensor(target), reduction=reduction)
    ours = F.cross_entropy(tr.tensor(logits_np, device=device), tr.tensor(target, device=device), reduction=reduction)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
def test_cross_entropy_of_logits_at_1e4_is_finite_and_equals_pytorch(device):
    logits_np = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4], [0.0, 0.0, 1e4]], dtype=np.float32)
    target = np.array([1, 0, 2])
    x_t = torch.tensor(logits_np, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(x_t, torch.tensor(target))
    loss_t.backward()
    x = tr.tensor(logits_np, requires_grad=True, device=device)
    loss = F.cross_entropy(x, tr.tensor(target, device=device))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), rtol=1e-6, atol=1e-7)


# ---- exploding gradients -----------------------------------------------------------------------

def test_exploding_rnn_gradients_are_clipped_to_max_norm_and_stay_finite(device):
    # relu RNN with W_hh = 3 I: the state, and the gradient through time, grow by 3 per step
    rnn = nn.RNN(2, 4, nonlinearity="relu").double()
    rnn.weight_hh_l0.data = 3.0 * np.eye(4)
    rnn.weight_ih_l0.data = np.abs(rnn.weight_ih_l0.data)
    rnn.to(device)
    output, _ = rnn(tr.ones(30, 1, 2, dtype=tr.float64, device=device))
    output.sum().backward()
    before = {name: p.grad.numpy().copy() for name, p in rnn.named_parameters()}
    total = nn.utils.clip_grad_norm_(rnn.parameters(), max_norm=1.0).item()
    assert np.isfinite(total) and total > 1e12
    clipped = [p.grad.numpy() for p in rnn.parameters()]
    assert all(np.isfinite(g).all() for g in clipped)
    np.testing.assert_allclose(math.sqrt(sum(float((g * g).sum()) for g in clipped)), 1.0, rtol=1e-6)
    for name, p in rnn.named_parameters():  # same direction, scaled by max_norm / total
        np.testing.assert_allclose(p.grad.numpy(), before[name] * (1.0 / (total + 1e-6)), rtol=1e-10)


def test_gradients_under_max_norm_are_left_alone():
    p = tr.tensor([0.3, 0.4], requires_grad=True)
    p.grad = tr.tensor([0.3, 0.4])
    total = nn.utils.clip_grad_norm_([p], max_norm=1.0).item()
    np.testing.assert_allclose(total, 0.5, rtol=1e-6)
    np.testing.assert_allclose(p.grad.numpy(), [0.3, 0.4], rtol=1e-6)


# ---- sequence and batch sizes at their limits --------------------------------------------------

@needs_torch
@pytest.mark.parametrize("name", LAYERS)
def test_one_step_sequence_equals_pytorch(name, device):
    ours, theirs = layer_pair(name, device)
    assert_same_forward_and_gradients(ours, theirs, np.random.default_rng(0).standard_normal((1, 2, 3)), device)


@needs_torch
@pytest.mark.parametrize("name", LAYERS)
def test_batch_of_one_equals_pytorch(name, device):
    ours, theirs = layer_pair(name, device, num_layers=2, bidirectional=True)
    assert_same_forward_and_gradients(ours, theirs, np.random.default_rng(0).standard_normal((6, 1, 3)), device)


@needs_torch
@pytest.mark.parametrize("name", LAYERS)
def test_unbatched_one_step_sequence_equals_pytorch(name, device):
    ours, theirs = layer_pair(name, device)
    assert_same_forward_and_gradients(ours, theirs, np.random.default_rng(0).standard_normal((1, 3)), device)


@pytest.mark.parametrize("name", LAYERS)
def test_one_step_sequence_with_length_one_equals_no_lengths(name):
    layer = getattr(nn, name)(3, 4)
    x = tr.randn(1, 2, 3)
    out_a, state_a = layer(x)
    out_b, state_b = layer(x, lengths=[1, 1])
    np.testing.assert_array_equal(out_a.numpy(), out_b.numpy())
    for a, b in zip(states(state_a), states(state_b)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@needs_torch
@pytest.mark.parametrize("name", LAYERS)
def test_zero_length_sequence_is_refused_like_pytorch(name):
    with pytest.raises(RuntimeError, match="sequence length"):
        getattr(torch.nn, name)(3, 4)(torch.zeros(0, 2, 3))
    with pytest.raises(OpError, match=rf"{name}: expected at least one time step and one batch item, got input of "
                                      r"shape \(0, 2, 3\)"):
        getattr(nn, name)(3, 4)(tr.zeros(0, 2, 3))


@pytest.mark.parametrize("name", LAYERS)
def test_a_sequence_of_length_zero_in_a_batch_is_refused(name):
    # PyTorch refuses it too, in pack_padded_sequence
    with pytest.raises(OpError, match=rf"{name}: every length must lie in 1\.\.4"):
        getattr(nn, name)(3, 4)(tr.zeros(4, 2, 3), lengths=[0, 4])


@pytest.mark.parametrize("name", LAYERS)
def test_steps_after_the_longest_length_output_zeros_and_no_gradient(name):
    layer = getattr(nn, name)(3, 4)
    x = tr.randn(5, 2, 3, requires_grad=True)
    output, _ = layer(x, lengths=[2, 3])
    output.sum().backward()
    assert not output.numpy()[3:].any()
    assert not x.grad.numpy()[3:].any()
    assert not x.grad.numpy()[2:, 0].any()


# ---- many training steps -----------------------------------------------------------------------

def _long_run_module():
    spec = importlib.util.spec_from_file_location("long_run", Path(__file__).parents[1] / "tools" / "long_run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lstm_training_memory_is_flat_from_step_100_to_step_300():
    long_run = _long_run_module()
    reports = {r["step"]: r for r in long_run.train(300, 100, input_size=4, hidden_size=8, batch=4, seq_len=10)}
    grown = reports[300]["traced"] - reports[100]["traced"]
    # a leaked graph is tens of KiB per step; what is left here is a few int objects
    assert grown < 16 * 1024, f"traced memory grew by {grown} bytes over 200 steps"

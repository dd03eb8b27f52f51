"""nn.LayerNorm / F.layer_norm and nn.BatchNorm1d / F.batch_norm against PyTorch with the same weights
(outputs, gradients, running statistics after several steps, train and eval), gradchecks, errors."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.nn import functional as F

torch = pytest.importorskip("torch")


def copy_weights(ours, theirs):
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def close(mine, ref, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(mine.numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)


# ---- LayerNorm ------------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-3}],
                         ids=["affine", "no_affine", "no_bias", "eps"])
@pytest.mark.parametrize("normalized_shape", [4, (3, 4)])
def test_layer_norm_matches_torch(device, normalized_shape, options):
    torch.manual_seed(0)
    theirs = torch.nn.LayerNorm(normalized_shape, **options).double()
    ours = nn.LayerNorm(normalized_shape, **options).double().to(device)
    copy_weights(ours, theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    x_np = np.random.default_rng(0).standard_normal((2, 3, 4)) * 3 + 1
    x_t, x = torch.tensor(x_np, requires_grad=True), tr.tensor(x_np, requires_grad=True, device=device)
    y_t, y = theirs(x_t), ours(x)
    close(y, y_t)
    w = np.random.default_rng(1).standard_normal((2, 3, 4))
    (y_t * torch.tensor(w)).sum().backward()
    (y * tr.tensor(w, device=device)).sum().backward()
    close(x.grad, x_t.grad, rtol=1e-9)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        close(p.grad, theirs_params[name].grad, rtol=1e-9)


def test_layer_norm_functional_passes_gradcheck(leaf):
    x, weight, bias = leaf(2, 3, 4), leaf(4), leaf(4)
    assert tr.gradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b, eps=1e-5), (x, weight, bias))
    assert tr.gradcheck(lambda x: F.layer_norm(x, (3, 4)), (x,))


def test_layer_norm_defaults_to_float32_ones_and_zeros():
    norm = nn.LayerNorm(5)
    assert norm.weight.dtype == tr.float32 and norm.weight.numpy().tolist() == [1.0] * 5
    assert norm.bias.numpy().tolist() == [0.0] * 5
    assert nn.LayerNorm(5, bias=False).bias is None and nn.LayerNorm(5, elementwise_affine=False).weight is None


def test_layer_norm_wrong_trailing_shape_is_refused():
    with pytest.raises(tr.OpError, match=r"layer_norm: given normalized_shape=\[4\], expected input with shape "
                                         r"\[\*, 4\], but got input of size \[2, 3\]"):
        nn.LayerNorm(4)(tr.ones(2, 3))


def test_layer_norm_bad_normalized_shape_is_refused():
    with pytest.raises(tr.OpError, match=r"LayerNorm: normalized_shape must be a positive int"):
        nn.LayerNorm(0)


def test_layer_norm_weight_of_the_wrong_shape_is_refused():
    with pytest.raises(tr.OpError, match=r"layer_norm: weight must have shape \(4,\) \(normalized_shape\), "
                                         r"got \(3,\)"):
        F.layer_norm(tr.ones(2, 4), (4,), weight=tr.ones(3))


# ---- BatchNorm1d ----------------------------------------------------------------------------------

def train_steps(ours, theirs, shape, steps, device="cpu"):
    """Several training steps with fresh batches; compares outputs and gradients at each."""
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x_np = rng.standard_normal(shape) * 2 + 0.5
        x_t, x = torch.tensor(x_np, requires_grad=True), tr.tensor(x_np, requires_grad=True, device=device)
        y_t, y = theirs(x_t), ours(x)
        close(y, y_t)
        w = rng.standard_normal(shape)
        (y_t * torch.tensor(w)).sum().backward()
        (y * tr.tensor(w, device=device)).sum().backward()
        close(x.grad, x_t.grad, rtol=1e-9)


def same_state(ours, theirs):
    ref = theirs.state_dict()
    mine = ours.state_dict()
    assert list(mine) == list(ref)
    for name, value in ref.items():
        assert mine[name].dtype == tr.tensor(value.numpy()).dtype, name
        np.testing.assert_allclose(mine[name].numpy(), value.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None], ids=["m0.1", "m0.5", "cumulative"])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)], ids=["NC", "NCL"])
def test_batch_norm_training_and_running_stats_match_torch(device, shape, momentum):
    torch.manual_seed(0)
    theirs = torch.nn.BatchNorm1d(3, momentum=momentum).double()
    ours = nn.BatchNorm1d(3, momentum=momentum).double().to(device)
    copy_weights(ours, theirs)
    train_steps(ours, theirs, shape, 4, device)
    same_state(ours, theirs)
    assert int(ours.num_batches_tracked.item()) == 4
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        close(p.grad, theirs_params[name].grad, rtol=1e-9)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)], ids=["NC", "NCL"])
def test_batch_norm_eval_uses_running_stats_as_torch(device, shape):
    torch.manual_seed(0)
    theirs, ours = torch.nn.BatchNorm1d(3).double(), nn.BatchNorm1d(3).double().to(device)
    copy_weights(ours, theirs)
    train_steps(ours, theirs, shape, 3, device)
    theirs.eval()
    ours.eval()
    train_steps(ours, theirs, shape, 2, device)
    same_state(ours, theirs)
    assert int(ours.num_batches_tracked.item()) == 3


@pytest.mark.parametrize("options", [{"affine": False}, {"track_running_stats": False}],
                         ids=["no_affine", "no_running_stats"])
def test_batch_norm_options_match_torch(options):
    torch.manual_seed(0)
    theirs, ours = torch.nn.BatchNorm1d(3, **options).double(), nn.BatchNorm1d(3, **options).double()
    copy_weights(ours, theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    train_steps(ours, theirs, (5, 3, 2), 2)
    theirs.eval()
    ours.eval()
    train_steps(ours, theirs, (5, 3, 2), 1)   # without running stats eval keeps the batch's
    same_state(ours, theirs)


def test_batch_norm_state_dict_loads_into_torch_and_back():
    ours = nn.BatchNorm1d(3).double()
    train_steps(ours, torch.nn.BatchNorm1d(3).double(), (4, 3), 2)
    theirs = torch.nn.BatchNorm1d(3).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    same_state(ours, theirs)
    fresh = nn.BatchNorm1d(3).double()
    fresh.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    same_state(fresh, theirs)


def test_batch_norm_functional_passes_gradcheck(leaf):
    x, weight, bias = leaf(5, 3, 2), leaf(3), leaf(3)
    assert tr.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, weight, bias))


def test_batch_norm_eval_functional_passes_gradcheck(leaf):
    x, weight = leaf(4, 3), leaf(3)
    mean, var = tr.tensor(np.array([0.1, -0.2, 0.3])), tr.tensor(np.array([1.5, 0.5, 2.0]))
    mean, var = mean.to(x.device), var.to(x.device)
    assert tr.gradcheck(lambda x, w: F.batch_norm(x, mean, var, w, None, training=False), (x, weight))


def test_batch_norm_functional_updates_running_stats_as_torch():
    x_np = np.random.default_rng(0).standard_normal((5, 3))
    rm, rv = tr.zeros(3, dtype=tr.float64), tr.ones(3, dtype=tr.float64)
    rm_t, rv_t = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    close(F.batch_norm(tr.tensor(x_np), rm, rv, training=True, momentum=0.3),
          torch.nn.functional.batch_norm(torch.tensor(x_np), rm_t, rv_t, training=True, momentum=0.3))
    close(rm, rm_t)
    close(rv, rv_t)


def test_batch_norm_one_value_per_channel_in_training_is_refused():
    with pytest.raises(tr.OpError, match=r"batch_norm: expected more than 1 value per channel when training, got "
                                         r"input size \(1, 3\)"):
        nn.BatchNorm1d(3)(tr.ones(1, 3))


def test_batch_norm_one_sample_is_fine_in_eval():
    norm = nn.BatchNorm1d(3).eval()
    assert tuple(norm(tr.ones(1, 3)).shape) == (1, 3)


def test_batch_norm_wrong_rank_is_refused():
    with pytest.raises(tr.OpError, match=r"BatchNorm1d: expected 2D \(N, C\) or 3D \(N, C, L\) input, got 4D input"):
        nn.BatchNorm1d(3)(tr.ones(2, 3, 4, 5))


def test_batch_norm_wrong_channels_are_refused():
    with pytest.raises(tr.OpError, match=r"BatchNorm1d: expected 3 channels on axis 1, got input of shape \(2, 4\)"):
        nn.BatchNorm1d(3)(tr.ones(2, 4))


def test_batch_norm_mixed_dtypes_are_refused():
    with pytest.raises(tr.OpError, match=r"batch_norm: running_mean has dtype float32 but the input has dtype "
                                         r"float64"):
        nn.BatchNorm1d(3)(tr.ones(2, 3, dtype=tr.float64))


def test_batch_norm_bad_momentum_is_refused():
    with pytest.raises(tr.OpError, match=r"BatchNorm1d: momentum must be a number in \[0, 1\] or None, got 2"):
        nn.BatchNorm1d(3, momentum=2)


def test_norm_layers_take_torch_factory_arguments(device):
    norm = nn.BatchNorm1d(3, dtype=tr.float64, device=device)
    assert norm.weight.dtype == tr.float64 and norm.running_var.dtype == tr.float64
    assert norm.num_batches_tracked.dtype == tr.int64
    assert all(t.device == device for t in list(norm.parameters()) + list(norm.buffers()))
    layer = nn.LayerNorm((2, 3), dtype=tr.float64, device=device)
    assert layer.weight.dtype == tr.float64 and layer.bias.device == device
    assert tuple(layer(tr.ones(4, 2, 3, dtype=tr.float64, device=device)).shape) == (4, 2, 3)


def test_batch_norm_reset_running_stats_restores_the_start():
    norm = nn.BatchNorm1d(2)
    norm(tr.randn(5, 2) * 3 + 1)
    norm.reset_running_stats()
    assert norm.running_mean.numpy().tolist() == [0.0, 0.0] and norm.running_var.numpy().tolist() == [1.0, 1.0]
    assert int(norm.num_batches_tracked.item()) == 0

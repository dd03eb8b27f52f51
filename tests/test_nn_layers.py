"""Linear, Embedding, Dropout, Identity and the activation modules: default
initialisation, forward and gradients against PyTorch, gradchecks."""

import math

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn


def host(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---- Linear ----------------------------------------------------------------------

def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    layer = nn.Linear(25, 400)
    bound = 1 / math.sqrt(25)
    for p in (layer.weight, layer.bias):
        data = p.numpy()
        assert np.abs(data).max() <= bound
        assert np.abs(data).max() > 0.95 * bound  # spread over the whole interval, not a narrower one
    assert layer.weight.shape == (400, 25) and layer.bias.shape == (400,)


def test_linear_without_bias_has_only_a_weight():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]


def test_linear_matches_pytorch_forward_and_gradients():
    torch = pytest.importorskip("torch")
    layer = nn.Linear(4, 3).double()
    ref = torch.nn.Linear(4, 3).double()
    ref.load_state_dict({k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()})
    x = host((2, 5, 4), 1)
    y = layer(tr.tensor(x, dtype=tr.float64))
    ty = ref(torch.tensor(x))
    g = host(y.shape, 2)
    y.backward(g)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.numpy(), ref.bias.grad.numpy(), rtol=1e-12)


def test_linear_gradcheck(device):
    layer = nn.Linear(3, 2).double().to(device)
    x = tr.tensor(host((4, 3), 1), dtype=tr.float64, device=device, requires_grad=True)
    assert tr.gradcheck(lambda x, w, b: layer(x), [x, layer.weight, layer.bias])


def test_linear_rejects_wrong_input_width():
    with pytest.raises(tr.OpError, match=r"Linear: expected input of shape \(\.\.\., 3\), got \(2, 4\)"):
        nn.Linear(3, 2)(tr.zeros(2, 4))


# ---- Embedding -------------------------------------------------------------------

def test_embedding_default_init_is_standard_normal_with_padding_row_zero():
    emb = nn.Embedding(2000, 16, padding_idx=3)
    w = emb.weight.numpy()
    np.testing.assert_array_equal(w[3], 0.0)
    rest = np.delete(w, 3, axis=0)
    assert abs(rest.mean()) < 0.02 and abs(rest.std() - 1) < 0.02


def test_embedding_negative_padding_idx_counts_from_the_end():
    assert nn.Embedding(10, 2, padding_idx=-1).padding_idx == 9


def test_embedding_padding_row_gets_no_gradient():
    emb = nn.Embedding(5, 3, padding_idx=0)
    out = emb(tr.tensor(np.array([[0, 2, 0], [2, 4, 1]])))
    (out * out).sum().backward()
    grad = emb.weight.grad.numpy()
    np.testing.assert_array_equal(grad[0], 0.0)
    np.testing.assert_array_equal(grad[3], 0.0)  # unused id
    assert np.abs(grad[2]).sum() > 0


def test_embedding_matches_pytorch_forward_and_gradients():
    torch = pytest.importorskip("torch")
    emb = nn.Embedding(6, 4, padding_idx=1).double()
    ref = torch.nn.Embedding(6, 4, padding_idx=1).double()
    ref.load_state_dict({"weight": torch.tensor(emb.weight.numpy())})
    ids = np.array([[1, 3, 3], [5, 1, 0]])
    y, ty = emb(tr.tensor(ids)), ref(torch.tensor(ids))
    g = host(y.shape, 3)
    y.backward(g)
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    np.testing.assert_allclose(emb.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-14)


def test_embedding_gradcheck(device):
    emb = nn.Embedding(4, 3, padding_idx=2).double().to(device)
    ids = tr.tensor(np.array([0, 2, 3, 0]), device=device)
    # the padding row is excluded from the gradient by definition, so check the others' only
    assert tr.gradcheck(lambda w: emb(ids)[tr.tensor(np.array([0, 2, 3]), device=device)], [emb.weight])


def test_embedding_rejects_out_of_range_ids():
    with pytest.raises(tr.OpError, match=r"embedding: ids must lie in \[0, 4\), got values from 0 to 4"):
        nn.Embedding(4, 2)(tr.tensor(np.array([0, 4])))


def test_embedding_rejects_float_ids():
    with pytest.raises(tr.OpError, match="ids must be integers, got dtype float32"):
        nn.Embedding(4, 2)(tr.zeros(3))


# ---- Dropout ---------------------------------------------------------------------

@pytest.mark.parametrize("freeze", [True, False])
def test_embedding_from_pretrained_matches_pytorch(freeze):
    torch = pytest.importorskip("torch")
    table = np.random.default_rng(2).standard_normal((5, 3))
    tr.manual_seed(0)
    before = tr.randn(1).item()
    tr.manual_seed(0)
    emb = nn.Embedding.from_pretrained(tr.tensor(table), freeze=freeze, padding_idx=1)
    assert tr.randn(1).item() == before                       # no draw for a table that is given
    ref = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=freeze, padding_idx=1)
    ids = [[0, 1, 4], [4, 2, 1]]
    out, expected = emb(tr.tensor(ids)), ref(torch.tensor(ids))
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    assert emb.weight.requires_grad == ref.weight.requires_grad == (not freeze)
    if not freeze:
        out.sum().backward()
        expected.sum().backward()
        np.testing.assert_array_equal(emb.weight.grad.numpy(), ref.weight.grad.numpy())


def test_embedding_from_pretrained_needs_a_table():
    with pytest.raises(tr.OpError, match=r"Embedding.from_pretrained: embeddings must be a 2-D Tensor "
                                         r"\(num_embeddings, embedding_dim\), got \(3,\)"):
        nn.Embedding.from_pretrained(tr.zeros(3))


def test_dropout_zeroes_about_p_and_scales_survivors():
    x = tr.ones(200, 200)
    y = nn.Dropout(0.3)(x).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.01
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation


def test_dropout_is_identity_in_eval_mode():
    layer = nn.Dropout(0.5).eval()
    x = tr.randn(4, 5)
    assert layer(x) is x


def test_dropout_gradient_uses_the_same_mask():
    x = tr.tensor(np.ones((50,)), dtype=tr.float64, requires_grad=True)
    y = nn.functional.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())


def test_dropout_with_p_one_gives_zeros():
    np.testing.assert_array_equal(nn.Dropout(1.0)(tr.ones(3)).numpy(), 0.0)


def test_dropout_rejects_probability_outside_unit_interval():
    with pytest.raises(tr.OpError, match=r"Dropout: probability p must be in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


def test_dropout_gradcheck_with_fixed_seed(device):
    x = tr.tensor(host((3, 4), 1), dtype=tr.float64, device=device, requires_grad=True)

    def f(x):
        tr.manual_seed(7)  # the same mask on every call
        return nn.functional.dropout(x, 0.4)
    assert tr.gradcheck(f, [x])


# ---- Identity and activations ------------------------------------------------------------

def test_identity_returns_its_input_and_accepts_any_arguments():
    x = tr.randn(2)
    assert nn.Identity(3, key="ignored")(x) is x


@pytest.mark.parametrize("name, kwargs", [("Tanh", {}), ("Sigmoid", {}), ("ReLU", {}), ("LogSigmoid", {}),
                                          ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": 0})])
def test_activation_module_matches_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    x = host((3, 4), 4) * 3
    ours = tr.tensor(x, dtype=tr.float64, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y, ty = getattr(nn, name)(**kwargs)(ours), getattr(torch.nn, name)(**kwargs)(theirs)
    g = host((3, 4), 5)
    y.backward(g)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["Tanh", "Sigmoid", "LogSigmoid", "Softmax", "LogSoftmax"])
def test_activation_module_gradcheck(name, device):
    x = tr.tensor(host((2, 3), 6), dtype=tr.float64, device=device, requires_grad=True)
    assert tr.gradcheck(getattr(nn, name)(), [x])


def test_activations_sit_in_a_sequential():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Dropout(0.1), nn.Linear(4, 2), nn.Softmax(dim=-1))
    model.eval()
    out = model(tr.randn(5, 3))
    np.testing.assert_allclose(out.numpy().sum(axis=-1), 1.0, rtol=1e-6)


def test_factory_arguments_as_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (tr, torch):
        linear = lib.nn.Linear(2, 3, device="cpu", dtype=lib.float64)
        embedding = lib.nn.Embedding(4, 2, dtype=lib.float64, sparse=False, max_norm=None)
        assert str(linear.weight.dtype).endswith("float64") and str(linear.bias.dtype).endswith("float64")
        assert str(embedding.weight.dtype).endswith("float64") and embedding.weight.requires_grad


def test_embedding_options_left_out_are_named():
    for name, value in (("sparse", True), ("max_norm", 1.0), ("scale_grad_by_freq", True)):
        with pytest.raises(tr.OpError, match=f"Embedding: {name}={value!r} is not provided"):
            nn.Embedding(4, 2, **{name: value})

"""LeakyReLU, ELU, SiLU, Softplus, Mish, Hardtanh, Softsign, PReLU, Flatten and their functional
forms: values and gradients against PyTorch's, central differences in float64, every device;
large inputs stay finite; inplace=True is accepted."""

import numpy as np
import pytest

import tinygrad_rnn as tr
import tinygrad_rnn.nn as nn
from tinygrad_rnn.errors import OpError

torch = pytest.importorskip("torch")

X = np.concatenate([np.linspace(-3, 3, 11) + 0.013, [0.0, -900.0, 900.0, 10.02, 9.98]])

MODULES = [
    ("LeakyReLU", lambda m: m.LeakyReLU(0.2)),
    ("LeakyReLU_default", lambda m: m.LeakyReLU()),
    ("ELU", lambda m: m.ELU(alpha=0.7)),
    ("SiLU", lambda m: m.SiLU()),
    ("Softplus", lambda m: m.Softplus()),
    ("Softplus_beta", lambda m: m.Softplus(beta=2, threshold=10)),
    ("Mish", lambda m: m.Mish()),
    ("Hardtanh", lambda m: m.Hardtanh(-2.0, 2.0)),
    ("Softsign", lambda m: m.Softsign()),
    ("ReLU_inplace", lambda m: m.ReLU(inplace=True)),
    ("PReLU", lambda m: m.PReLU(init=0.1).double()),
]


@pytest.mark.parametrize("name,make", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_pytorch(device, name, make):
    ours, theirs = tr.tensor(X, device=device, requires_grad=True), torch.tensor(X, requires_grad=True)
    module = make(nn).to(device)
    out, expected = module(ours * 1), make(torch.nn)(theirs * 1)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-15)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-15)
    if name == "PReLU":
        assert module.weight.grad.item() == pytest.approx(X[X < 0].sum(), rel=1e-12)
    smooth = tr.tensor(np.linspace(-2.5, 2.5, 7) + 0.013, device=device, requires_grad=True)
    assert tr.gradcheck(lambda x: module(x), (smooth,))


FUNCTIONS = [
    ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.3)),
    ("elu", lambda F, x: F.elu(x)),
    ("silu", lambda F, x: F.silu(x)),
    ("softplus", lambda F, x: F.softplus(x, beta=0.5)),
    ("mish", lambda F, x: F.mish(x)),
    ("hardtanh", lambda F, x: F.hardtanh(x)),
    ("softsign", lambda F, x: F.softsign(x)),
    ("relu_inplace", lambda F, x: F.relu(x, inplace=False)),
]


@pytest.mark.parametrize("name,fn", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_functional_matches_pytorch(name, fn):
    out = fn(nn.functional, tr.tensor(X))
    np.testing.assert_allclose(out.numpy(), fn(torch.nn.functional, torch.tensor(X)).numpy(), rtol=1e-12, atol=1e-15)


def test_prelu_per_channel_matches_pytorch():
    x = np.random.default_rng(0).standard_normal((4, 3, 5))
    w = np.array([0.1, 0.2, 0.3])
    ours, theirs = tr.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = nn.functional.prelu(tr.tensor(x), ours)
    expected = torch.nn.functional.prelu(torch.tensor(x), theirs)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    with pytest.raises(OpError, match=r"prelu: weight has 3 entries but the input of shape \(4, 2\) has 2 channels"):
        nn.functional.prelu(tr.zeros(4, 2), tr.zeros(3))


def test_flatten_and_errors():
    assert tuple(nn.Flatten()(tr.zeros(2, 3, 4)).shape) == (2, 12)
    assert tuple(nn.Flatten(0, 1)(tr.zeros(2, 3, 4)).shape) == (6, 4)
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    with pytest.raises(OpError, match="hardtanh: min_val 2 must not exceed max_val 1"):
        nn.functional.hardtanh(tr.zeros(2), 2, 1)
    with pytest.raises(OpError, match=r"ELU: unknown option 'beta'; it takes \('alpha',\)"):
        nn.ELU(beta=1.0)

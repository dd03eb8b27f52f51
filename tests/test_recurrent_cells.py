"""nn.RNNCell / LSTMCell / GRUCell against PyTorch's cells in float64, both implementations."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn

torch = pytest.importorskip("torch")

KINDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
B, IN, H = 3, 4, 5


def build(kind, impl, bias=True):
    cls, extra = {"rnn_tanh": ("RNNCell", {"nonlinearity": "tanh"}), "rnn_relu": ("RNNCell", {"nonlinearity": "relu"}),
                  "lstm": ("LSTMCell", {}), "gru": ("GRUCell", {})}[kind]
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls)(IN, H, bias=bias, **extra).double()
    ours = getattr(nn, cls)(IN, H, bias=bias, **extra, impl=impl).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["zero_hx", "hx"])
@pytest.mark.parametrize("impl", ["fused", "composite"])
@pytest.mark.parametrize("kind", KINDS)
def test_cell_matches_torch(kind, impl, with_hx, batched, bias):
    ours, theirs = build(kind, impl, bias)
    rng = np.random.default_rng(0)
    lead = (B,) if batched else ()
    x_np = rng.standard_normal(lead + (IN,))
    states_np = [rng.standard_normal(lead + (H,)) for _ in range(2 if kind == "lstm" else 1)] if with_hx else []

    x_t = torch.tensor(x_np, requires_grad=True)
    states_t = [torch.tensor(s, requires_grad=True) for s in states_np]
    x = tr.tensor(x_np, requires_grad=True)
    states = [tr.tensor(s, requires_grad=True) for s in states_np]
    if kind == "lstm":
        outs_t = list(theirs(x_t, tuple(states_t) if with_hx else None))
        outs = list(ours(x, tuple(states) if with_hx else None))
    else:
        outs_t = [theirs(x_t, states_t[0] if with_hx else None)]
        outs = [ours(x, states[0] if with_hx else None)]
    weights = [rng.standard_normal(tuple(o.shape)) for o in outs_t]
    sum((o * torch.tensor(w)).sum() for o, w in zip(outs_t, weights)).backward()
    total = (outs[0] * tr.tensor(weights[0])).sum()
    for o, w in zip(outs[1:], weights[1:]):
        total = total + (o * tr.tensor(w)).sum()
    total.backward()

    for mine, ref in zip(outs, outs_t):
        np.testing.assert_allclose(mine.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), rtol=1e-9, atol=1e-12)
    for s, s_t in zip(states, states_t):
        np.testing.assert_allclose(s.grad.numpy(), s_t.grad.numpy(), rtol=1e-9, atol=1e-12)
    theirs_params = dict(theirs.named_parameters())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
def test_cell_parameters_have_torch_shapes(kind):
    ours, theirs = build(kind, None)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]

"""nn.RNN / LSTM / GRU against PyTorch in float64: outputs, final states and the gradients
of the input, the initial state and every parameter, for both implementations."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn

torch = pytest.importorskip("torch")

KINDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
T, B, IN, H = 5, 3, 4, 3


def build(kind, impl=None, **options):
    """Our layer and PyTorch's with the same weights (PyTorch's, loaded through state_dict)."""
    cls, extra = {"rnn_tanh": ("RNN", {"nonlinearity": "tanh"}), "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
                  "lstm": ("LSTM", {}), "gru": ("GRU", {})}[kind]
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls)(IN, H, **extra, **options).double()
    ours = getattr(nn, cls)(IN, H, **extra, **options, impl=impl).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def run_torch(theirs, x, hx, lengths, batch_first):
    if lengths is None:
        return theirs(x, hx)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first,
                                                     enforce_sorted=False)
    out, state = theirs(packed, hx)
    steps = x.shape[1 if batch_first else 0]
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first, total_length=steps)
    return out, state


def flat_states(state):
    return list(state) if isinstance(state, tuple) else [state]


def compare(ours, theirs, x_np, hx_np, lengths, batch_first):
    """Forward both, backpropagate the same random projection of every output, compare everything."""
    rng = np.random.default_rng(1)
    x_t = torch.tensor(x_np, requires_grad=True)
    hx_t = None if hx_np is None else tuple(torch.tensor(h, requires_grad=True) for h in hx_np)
    out_t, state_t = run_torch(theirs, x_t, hx_t if hx_t is None or len(hx_t) == 2 else hx_t[0], lengths, batch_first)
    outs_t = [out_t] + flat_states(state_t)
    weights = [rng.standard_normal(tuple(o.shape)) for o in outs_t]
    sum(((o * torch.tensor(w)).sum() for o, w in zip(outs_t, weights))).backward()

    x = tr.tensor(x_np, requires_grad=True)
    hx = None if hx_np is None else tuple(tr.tensor(h, requires_grad=True) for h in hx_np)
    out, state = ours(x, hx if hx is None or len(hx) == 2 else hx[0], lengths=lengths)
    outs = [out] + flat_states(state)
    total = None
    for o, w in zip(outs, weights):
        term = (o * tr.tensor(w)).sum()
        total = term if total is None else total + term
    total.backward()

    for mine, ref in zip(outs, outs_t):
        np.testing.assert_allclose(mine.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), rtol=1e-9, atol=1e-12)
    if hx is not None:
        for h, h_t in zip(hx, hx_t):
            np.testing.assert_allclose(h.grad.numpy(), h_t.grad.numpy(), rtol=1e-9, atol=1e-12)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("impl", ["fused", "composite"])
@pytest.mark.parametrize("with_lengths", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["zero_hx", "hx"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (1, True), (3, False), (3, True)],
                         ids=["1layer", "1layer_bi", "3layers", "3layers_bi"])
@pytest.mark.parametrize("kind", KINDS)
def test_layer_matches_torch(kind, num_layers, bidirectional, batch_first, with_hx, with_lengths, impl):
    ours, theirs = build(kind, impl, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, IN) if batch_first else (T, B, IN))
    hx = None
    if with_hx:
        shape = (num_layers * (2 if bidirectional else 1), B, H)
        hx = tuple(rng.standard_normal(shape) for _ in range(2 if kind == "lstm" else 1))
    lengths = [4, 1, 3] if with_lengths else None  # unsorted, and shorter than T: the last step is padding for all
    compare(ours, theirs, x, hx, lengths, batch_first)


@pytest.mark.parametrize("kind", KINDS)
def test_layer_with_a_full_length_sequence_among_padded_ones_matches_torch(kind):
    ours, theirs = build(kind, num_layers=2, bidirectional=True)
    x = np.random.default_rng(0).standard_normal((T, B, IN))
    compare(ours, theirs, x, None, [2, T, 3], batch_first=False)


@pytest.mark.parametrize("impl", ["fused", "composite"])
@pytest.mark.parametrize("kind", KINDS)
def test_layer_without_bias_matches_torch(kind, impl):
    ours, theirs = build(kind, impl, bias=False, num_layers=2, bidirectional=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    compare(ours, theirs, np.random.default_rng(0).standard_normal((T, B, IN)), None, None, batch_first=False)


@pytest.mark.parametrize("impl", ["fused", "composite"])
@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_input_matches_torch(kind, impl):
    ours, theirs = build(kind, impl, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, IN))
    hx = tuple(rng.standard_normal((4, H)) for _ in range(2 if kind == "lstm" else 1))
    compare(ours, theirs, x, hx, None, batch_first=False)


@pytest.mark.parametrize("impl", ["fused", "composite"])
@pytest.mark.parametrize("kind", KINDS)
def test_dropout_in_eval_mode_equals_no_dropout(kind, impl):
    ours, theirs = build(kind, impl, num_layers=3, dropout=0.5)
    ours.eval()
    theirs.eval()
    compare(ours, theirs, np.random.default_rng(0).standard_normal((T, B, IN)), None, [5, 2, 3], batch_first=False)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_keys_shapes_and_order_equal_torch(kind, bias):
    ours, theirs = build(kind, num_layers=2, bidirectional=True, bias=bias)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    assert [tuple(v.shape) for v in ours_sd.values()] == [tuple(v.shape) for v in theirs_sd.values()]


@pytest.mark.parametrize("kind", KINDS)
def test_our_state_dict_loads_into_torch_and_gives_the_same_output(kind):
    ours, theirs = build(kind, num_layers=2, bidirectional=True)
    for p in ours.parameters():
        p.data = p.data * 0.5  # move away from the weights both started with
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((T, B, IN))
    with torch.no_grad():
        expected = theirs(torch.tensor(x))[0].numpy()
    np.testing.assert_allclose(ours(tr.tensor(x))[0].numpy(), expected, rtol=1e-10, atol=1e-12)

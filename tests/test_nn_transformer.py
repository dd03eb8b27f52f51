"""Transformer layers against PyTorch's: the same parameter names, a torch state_dict loads,
outputs and gradients agree in float64 (post- and pre-norm, relu/gelu/callable, batch_first,
every mask); GELU and F.gelu as torch's."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn

torch = pytest.importorskip("torch")

D, H, FF = 8, 2, 16


def copy_weights(ours, theirs):
    """ours <- theirs's state_dict, in float64; the names must be the same."""
    ours.double()
    theirs.double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    theirs.eval()


def pair(rng, *shape):
    a = rng.standard_normal(shape)
    return tr.tensor(a, dtype=tr.float64, requires_grad=True), torch.tensor(a, requires_grad=True)


def compare(ours_out, theirs_out, ours_params, theirs_params, inputs, tol=1e-10):
    np.testing.assert_allclose(ours_out.numpy(), theirs_out.detach().numpy(), rtol=tol, atol=tol)
    weights = np.random.default_rng(1).standard_normal(tuple(ours_out.shape))
    (ours_out * tr.tensor(weights)).sum().backward()
    (theirs_out * torch.tensor(weights)).sum().backward()
    for (name, p), q in zip(ours_params, theirs_params):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=name)
    for a, b in inputs:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-10)


ENCODER_CASES = [
    dict(),
    dict(norm_first=True),
    dict(activation="gelu"),
    dict(activation="gelu", norm_first=True, batch_first=True),
    dict(layer_norm_eps=1e-3, bias=False),
    dict(batch_first=True),
]


@pytest.mark.parametrize("kwargs", ENCODER_CASES, ids=[str(k) for k in ENCODER_CASES])
def test_encoder_layer_matches_torch(kwargs):
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.1, **kwargs)
    ours = nn.TransformerEncoderLayer(D, H, FF, dropout=0.1, **kwargs)
    copy_weights(ours, theirs)
    shape = (3, 5, D) if kwargs.get("batch_first") else (5, 3, D)
    x, tx = pair(rng, *shape)
    compare(ours(x), theirs(tx), ours.named_parameters(), theirs.parameters(), [(x, tx)])


def test_encoder_layer_with_a_callable_activation():
    rng = np.random.default_rng(0)
    theirs = torch.nn.TransformerEncoderLayer(D, H, FF, activation=torch.nn.GELU(approximate="tanh"))
    ours = nn.TransformerEncoderLayer(D, H, FF, activation=nn.GELU(approximate="tanh"))
    copy_weights(ours, theirs)
    x, tx = pair(rng, 4, 2, D)
    compare(ours(x), theirs(tx), ours.named_parameters(), theirs.parameters(), [(x, tx)])


def masks(rng, n, length):
    causal = np.triu(np.ones((length, length), dtype=bool), 1)
    float_mask = np.where(causal, -np.inf, rng.standard_normal((length, length)) * 0.1)
    padding = np.zeros((n, length), dtype=bool)
    padding[0, -2:] = True
    padding[2, -1] = True
    return causal, float_mask, padding


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_masks_match_torch(norm_first):
    rng = np.random.default_rng(2)
    theirs_layer = torch.nn.TransformerEncoderLayer(D, H, FF, norm_first=norm_first, batch_first=True)
    theirs = torch.nn.TransformerEncoder(theirs_layer, num_layers=2, norm=torch.nn.LayerNorm(D),
                                         enable_nested_tensor=False)
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF, norm_first=norm_first, batch_first=True),
                                 num_layers=2, norm=nn.LayerNorm(D))
    copy_weights(ours, theirs)
    causal, float_mask, padding = masks(rng, 3, 6)
    for mask, pad in [(causal, None), (float_mask, padding), (None, padding), (causal, padding)]:
        x, tx = pair(rng, 3, 6, D)
        ours_out = ours(x, mask=None if mask is None else tr.tensor(mask),
                        src_key_padding_mask=None if pad is None else tr.tensor(pad))
        theirs_out = theirs(tx, mask=None if mask is None else torch.tensor(mask),
                            src_key_padding_mask=None if pad is None else torch.tensor(pad))
        ours.zero_grad()
        theirs.zero_grad()
        compare(ours_out, theirs_out, ours.named_parameters(), theirs.parameters(), [(x, tx)])


def test_is_causal_without_a_mask_is_the_causal_mask():
    rng = np.random.default_rng(3)
    layer = nn.TransformerEncoderLayer(D, H, FF).double().eval()
    x = tr.tensor(rng.standard_normal((5, 2, D)))
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=tr.float64)
    np.testing.assert_allclose(layer(x, is_causal=True).numpy(), layer(x, src_mask=mask).numpy(), rtol=1e-14)


@pytest.mark.parametrize("kwargs", [dict(), dict(norm_first=True, batch_first=True, activation="gelu")],
                         ids=["post-norm", "pre-norm-batch-first-gelu"])
def test_decoder_layer_with_every_mask_matches_torch(kwargs):
    rng = np.random.default_rng(4)
    theirs = torch.nn.TransformerDecoderLayer(D, H, FF, **kwargs)
    ours = nn.TransformerDecoderLayer(D, H, FF, **kwargs)
    copy_weights(ours, theirs)
    n, t, s = 3, 4, 6
    bf = kwargs.get("batch_first", False)
    y, ty = pair(rng, *((n, t, D) if bf else (t, n, D)))
    m, tm = pair(rng, *((n, s, D) if bf else (s, n, D)))
    tgt_mask = np.triu(np.ones((t, t), dtype=bool), 1)
    memory_mask = rng.standard_normal((t, s)) * 0.2
    tgt_pad = np.zeros((n, t), dtype=bool)
    tgt_pad[1, -1] = True
    mem_pad = np.zeros((n, s), dtype=bool)
    mem_pad[0, -3:] = True
    ours_out = ours(y, m, tgt_mask=tr.tensor(tgt_mask), memory_mask=tr.tensor(memory_mask),
                    tgt_key_padding_mask=tr.tensor(tgt_pad), memory_key_padding_mask=tr.tensor(mem_pad))
    theirs_out = theirs(ty, tm, tgt_mask=torch.tensor(tgt_mask), memory_mask=torch.tensor(memory_mask),
                        tgt_key_padding_mask=torch.tensor(tgt_pad), memory_key_padding_mask=torch.tensor(mem_pad))
    compare(ours_out, theirs_out, ours.named_parameters(), theirs.parameters(), [(y, ty), (m, tm)])


@pytest.mark.parametrize("batch_first", [False, True])
def test_full_transformer_matches_torch(batch_first):
    rng = np.random.default_rng(5)
    theirs = torch.nn.Transformer(D, H, 2, 2, FF, batch_first=batch_first)
    ours = nn.Transformer(D, H, 2, 2, FF, batch_first=batch_first)
    copy_weights(ours, theirs)
    n, s, t = 2, 5, 4
    src, tsrc = pair(rng, *((n, s, D) if batch_first else (s, n, D)))
    tgt, ttgt = pair(rng, *((n, t, D) if batch_first else (t, n, D)))
    mask = nn.Transformer.generate_square_subsequent_mask(t, dtype=tr.float64)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(t, dtype=torch.float64)
    np.testing.assert_array_equal(mask.numpy(), tmask.numpy())
    pad = np.zeros((n, s), dtype=bool)
    pad[1, -2:] = True
    ours_out = ours(src, tgt, tgt_mask=mask, src_key_padding_mask=tr.tensor(pad),
                    memory_key_padding_mask=tr.tensor(pad))
    theirs_out = theirs(tsrc, ttgt, tgt_mask=tmask, src_key_padding_mask=torch.tensor(pad),
                        memory_key_padding_mask=torch.tensor(pad))
    compare(ours_out, theirs_out, ours.named_parameters(), theirs.parameters(), [(src, tsrc), (tgt, ttgt)])


def test_unbatched_inputs_match_torch():
    rng = np.random.default_rng(6)
    theirs = torch.nn.Transformer(D, H, 1, 1, FF)
    ours = nn.Transformer(D, H, 1, 1, FF)
    copy_weights(ours, theirs)
    src, tsrc = pair(rng, 5, D)
    tgt, ttgt = pair(rng, 3, D)
    compare(ours(src, tgt), theirs(tsrc, ttgt), ours.named_parameters(), theirs.parameters(),
            [(src, tsrc), (tgt, ttgt)])


def test_inference_mode_agrees_with_torchs_fast_path_to_1e_6():
    """torch.no_grad + eval takes PyTorch's fused path (nested tensors: zeros at padded positions)."""
    rng = np.random.default_rng(7)
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, H, FF, batch_first=True), 2)
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF, batch_first=True), 2)
    copy_weights(ours, theirs)
    x = rng.standard_normal((3, 6, D))
    pad = np.zeros((3, 6), dtype=bool)
    pad[0, -2:] = True
    with torch.no_grad():
        expected = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(pad)).numpy()
    with tr.no_grad():
        got = ours(tr.tensor(x), src_key_padding_mask=tr.tensor(pad)).numpy()
    keep = ~pad
    np.testing.assert_allclose(got[keep], expected[keep], rtol=1e-6, atol=1e-6)


def test_training_mode_without_dropout_matches_torch():
    rng = np.random.default_rng(8)
    theirs = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0)
    ours = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0)
    copy_weights(ours, theirs)
    ours.train()
    theirs.train()
    x, tx = pair(rng, 4, 2, D)
    compare(ours(x), theirs(tx), ours.named_parameters(), theirs.parameters(), [(x, tx)])


def test_dropout_acts_in_training_and_not_in_eval():
    tr.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.5)
    x = tr.randn(4, 2, D)
    layer.train()
    a, b = layer(x).numpy(), layer(x).numpy()
    assert not np.allclose(a, b)
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())


def test_a_state_dict_moves_back_to_torch():
    theirs = torch.nn.Transformer(D, H, 1, 1, FF)
    ours = nn.Transformer(D, H, 1, 1, FF)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), ours.state_dict()[k].numpy())


def test_layers_of_an_encoder_are_independent_copies():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF), 3)
    w = [layer.linear1.weight for layer in enc.layers]
    assert len({id(p) for p in w}) == 3
    np.testing.assert_array_equal(w[0].numpy(), w[2].numpy())  # copies of one layer, as torch's
    with tr.no_grad():
        w[0].mul_(0)
    assert np.abs(w[1].numpy()).sum() > 0


def test_transformer_reinitialises_matrices_with_xavier():
    tr.manual_seed(0)
    t = nn.Transformer(D, H, 1, 1, FF)
    w = t.encoder.layers[0].linear1.weight.numpy()
    bound = np.sqrt(6 / (D + FF))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    np.testing.assert_array_equal(t.encoder.norm.weight.numpy(), np.ones(D))


def test_device_and_dtype_arguments():
    layer = nn.TransformerEncoderLayer(D, H, FF, dtype=tr.float64, device="cpu")
    assert all(p.dtype == tr.float64 for p in layer.parameters())


@pytest.mark.parametrize("make, message", [
    (lambda: nn.TransformerEncoderLayer(D, 3), r"TransformerEncoderLayer: d_model \(8\) must be divisible by nhead"),
    (lambda: nn.TransformerEncoderLayer(D, H, activation="swish"),
     r"TransformerEncoderLayer: activation should be relu/gelu or a callable, not 'swish'"),
    (lambda: nn.TransformerDecoderLayer(D, H, dropout=1.5),
     r"TransformerDecoderLayer: dropout probability has to be between 0 and 1, but got 1.5"),
    (lambda: nn.TransformerEncoderLayer(0, H), r"TransformerEncoderLayer: d_model must be a positive int, got 0"),
    (lambda: nn.TransformerEncoder("layer", 2), r"TransformerEncoder: expected a layer Module to copy, got str"),
    (lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H), -1),
     r"TransformerDecoder: num_layers must be a non-negative int, got -1"),
    (lambda: nn.Transformer.generate_square_subsequent_mask(-2),
     r"generate_square_subsequent_mask: sz must be a non-negative int, got -2"),
])
def test_bad_arguments_are_explained(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_forward_checks_batch_and_feature_sizes():
    t = nn.Transformer(D, H, 1, 1, FF)
    with pytest.raises(ValueError, match=r"Transformer: the batch number of src and tgt must be equal, got shapes "
                                         r"\(5, 2, 8\) and \(3, 4, 8\) \(batch_first=False\)"):
        t(tr.zeros(5, 2, D), tr.zeros(3, 4, D))
    with pytest.raises(ValueError, match=r"the feature number of src and tgt must be equal to d_model \(8\), got 8 "
                                         r"and 6"):
        t(tr.zeros(5, 2, D), tr.zeros(3, 2, 6))
    with pytest.raises(ValueError, match=r"src and tgt must both be batched \(3-D\) or both unbatched"):
        t(tr.zeros(5, 2, D), tr.zeros(3, D))


def test_layer_norm_refuses_the_wrong_width():
    layer = nn.TransformerEncoderLayer(D, H, FF)
    with pytest.raises(ValueError, match=r"feature sizes|LayerNorm: expected input of shape \(\.\.\., 8\)"):
        layer(tr.zeros(3, 2, 6))


# ---- GELU -----------------------------------------------------------------------------------

@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_torch_and_its_gradient(approximate):
    x = np.concatenate([np.linspace(-9, 9, 721), [-40.0, -6.0, -3.0, 0.0, 3.0, 40.0]])
    ours, theirs = tr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = nn.functional.gelu(ours, approximate=approximate), torch.nn.functional.gelu(theirs,
                                                                                          approximate=approximate)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-13, atol=1e-14)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_gradcheck(device, approximate):
    x = tr.tensor(np.linspace(-4, 4, 13) + 0.01, dtype=tr.float64, device=device, requires_grad=True)
    assert tr.gradcheck(lambda t: nn.functional.gelu(t, approximate=approximate), (x,))


def test_gelu_module_and_float32():
    x = np.linspace(-3, 3, 7).astype(np.float32)
    y = nn.GELU()(tr.tensor(x))
    assert y.dtype == tr.float32
    # torch's float32 GELU computes 1 + erf in float32 and cancels for x << 0 (4e-5 relative at x = -3);
    # here erf runs in float64, so the float32 result is the exact one rounded: compare with torch's float64
    exact = torch.nn.GELU()(torch.tensor(x, dtype=torch.float64)).numpy().astype(np.float32)
    np.testing.assert_allclose(y.numpy(), exact, rtol=2e-7, atol=1e-9)
    np.testing.assert_allclose(y.numpy(), torch.nn.GELU()(torch.tensor(x)).numpy(), rtol=1e-4, atol=1e-7)
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"


def test_gelu_bad_arguments():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'fast'"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="gelu: expected a floating-point tensor, got dtype int64"):
        nn.functional.gelu(tr.tensor([1, 2]))


def test_multihead_attention_names_are_torchs():
    assert list(nn.MultiheadAttention(D, H).state_dict()) == list(torch.nn.MultiheadAttention(D, H).state_dict())
    assert list(nn.MultiheadAttention(D, H, kdim=4, vdim=6).state_dict()) == \
        list(torch.nn.MultiheadAttention(D, H, kdim=4, vdim=6).state_dict())


def test_transformer_runs_on_the_device_as_on_the_host(device):
    tr.manual_seed(0)
    model = nn.Transformer(D, H, 1, 1, FF, dropout=0.0, activation="gelu").double().eval()
    rng = np.random.default_rng(9)
    src, tgt = rng.standard_normal((5, 2, D)), rng.standard_normal((3, 2, D))
    pad = np.zeros((2, 5), dtype=bool)
    pad[1, -1] = True
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=tr.float64)
    expected = model(tr.tensor(src), tr.tensor(tgt), tgt_mask=mask, src_key_padding_mask=tr.tensor(pad)).numpy()
    model.to(device)
    got = model(tr.tensor(src, device=device), tr.tensor(tgt, device=device), tgt_mask=mask.to(device),
                src_key_padding_mask=tr.tensor(pad, device=device))
    assert str(got.device) == device
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("which", ["erf", "series_erf"])
def test_erf_is_exact_to_1e_15_either_way(which):
    import math

    from tinygrad_rnn.nn import gelu as gelu_module
    x = np.concatenate([np.linspace(-7, 7, 14001), [-30.0, -3.0, 0.0, 3.0, 30.0]])
    got = getattr(gelu_module, which)(x)
    np.testing.assert_allclose(got, [math.erf(v) for v in x], rtol=0, atol=2e-15)


def test_series_erf_runs_on_the_device(device):
    import math

    from tinygrad_rnn import backend
    from tinygrad_rnn.nn.gelu import series_erf
    x = np.linspace(-5, 5, 101)
    got = backend.to_numpy(series_erf(backend.as_array(x, device=device)))
    np.testing.assert_allclose(got, [math.erf(v) for v in x], rtol=0, atol=2e-15)

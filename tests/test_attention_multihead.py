"""MultiheadAttention: PyTorch's parameters, outputs, weights and gradients (float64), masks, errors."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.nn.attention import MultiheadAttention, causal_mask

E, H, L, S, N = 8, 2, 3, 4, 2


def twins(torch, **kwargs):
    """Our module and PyTorch's, in float64, with the same parameters."""
    ours = MultiheadAttention(E, H, **kwargs).double()
    theirs = torch.nn.MultiheadAttention(E, H, **kwargs).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def data(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def compare(torch, ours, theirs, arrays, self_attention=False, **kwargs):
    """Forward and backward through both; assert outputs, weights and every gradient agree."""
    mine = [tr.tensor(a, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    if self_attention:
        mine, ref = mine[:1] * 3, ref[:1] * 3
    torch_kwargs = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
    out, w = ours(*mine, **kwargs)
    out_t, w_t = theirs(*ref, **torch_kwargs)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    if w_t is None:
        assert w is None
    else:
        np.testing.assert_allclose(w.numpy(), w_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(9).standard_normal(out.shape)
    out.backward(g)
    out_t.backward(torch.tensor(g))
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)
    grads_t = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads_t[name].grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)
    return w


def test_parameters_have_pytorchs_names_shapes_and_order():
    torch = pytest.importorskip("torch")
    ours = MultiheadAttention(E, H)
    theirs = torch.nn.MultiheadAttention(E, H)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


def test_initialisation_is_pytorchs():
    m = MultiheadAttention(E, H)
    bound = np.sqrt(6 / (E + 3 * E))
    w = m.in_proj_weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert (m.in_proj_bias.numpy() == 0).all() and (m.out_proj.bias.numpy() == 0).all()
    assert np.abs(m.out_proj.weight.numpy()).max() <= 1 / np.sqrt(E)


def test_cross_attention_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = twins(torch)
    compare(torch, ours, theirs, data([(L, N, E), (S, N, E), (S, N, E)]))


def test_self_attention_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = twins(torch)
    compare(torch, ours, theirs, data([(L, N, E)]), self_attention=True)


def test_batch_first_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = twins(torch, batch_first=True)
    compare(torch, ours, theirs, data([(N, L, E), (N, S, E), (N, S, E)]))


def test_per_head_weights_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = twins(torch)
    w = compare(torch, ours, theirs, data([(L, N, E), (S, N, E), (S, N, E)]), average_attn_weights=False)
    assert w.shape == (N, H, L, S)


def test_boolean_padding_and_causal_masks_match_pytorch_and_zero_the_weights():
    torch = pytest.importorskip("torch")
    ours, theirs = twins(torch)
    padding = np.array([[False] * S, [False, False, True, True]])
    attn_mask = causal_mask(S).numpy()[:L]
    w = compare(torch, ours, theirs, data([(L, N, E), (S, N, E), (S, N, E)]),
                key_padding_mask=padding, attn_mask=attn_mask, average_attn_weights=False)
    w = w.numpy()
    assert (w[1, :, :, 2:] == 0).all()
    assert (w[:, :, np.triu_indices(L, 1, S)[0], np.triu_indices(L, 1, S)[1]] == 0).all()


def test_is_causal_with_the_causal_mask_matches_pytorch_and_alone_builds_it():
    torch = pytest.importorskip("torch")
    ours, theirs = twins(torch)
    arrays = data([(L, N, E)])
    mask = causal_mask(L).numpy()
    compare(torch, ours, theirs, arrays, self_attention=True, attn_mask=mask, is_causal=True)
    q = tr.tensor(arrays[0])
    np.testing.assert_array_equal(ours(q, q, q, is_causal=True)[0].numpy(), ours(q, q, q, attn_mask=mask)[0].numpy())


def test_float_masks_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = twins(torch)
    attn_mask, padding = data([(L, S), (N, S)], seed=3)
    padding[0, 1] = -np.inf
    compare(torch, ours, theirs, data([(L, N, E), (S, N, E), (S, N, E)]), key_padding_mask=padding,
            attn_mask=attn_mask)


def test_per_batch_and_head_attn_mask_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = twins(torch)
    attn_mask = np.random.default_rng(4).random((N * H, L, S)) < 0.3
    attn_mask[:, :, 0] = False
    compare(torch, ours, theirs, data([(L, N, E), (S, N, E), (S, N, E)]), attn_mask=attn_mask)


def test_unbatched_input_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = twins(torch)
    compare(torch, ours, theirs, data([(L, E), (S, E), (S, E)]), key_padding_mask=np.array([False, False, False, True]))


def test_other_key_and_value_sizes_and_no_bias_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = twins(torch, kdim=5, vdim=3, bias=False)
    assert list(ours.state_dict()) == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"]
    compare(torch, ours, theirs, data([(L, N, E), (S, N, 5), (S, N, 3)]))


def test_need_weights_false_returns_none_but_keeps_last_weights():
    torch = pytest.importorskip("torch")
    ours, theirs = twins(torch)
    compare(torch, ours, theirs, data([(L, N, E), (S, N, E), (S, N, E)]), need_weights=False)
    assert ours.last_weights.shape == (N, L, S)


def test_gradcheck(device):
    m = MultiheadAttention(4, 2).double().to(device)
    q, k = (tr.tensor(a, requires_grad=True, device=device) for a in data([(2, 2, 4), (3, 2, 4)]))
    mask = causal_mask(3, device=device)[:2]

    def fn(q, k, *params):
        return m(q, k, k, attn_mask=mask)

    assert tr.gradcheck(fn, [q, k, *m.parameters()])


def test_causal_mask_matches_pytorchs_square_subsequent_mask():
    torch = pytest.importorskip("torch")
    expected = torch.nn.Transformer.generate_square_subsequent_mask(5).isinf().numpy()
    np.testing.assert_array_equal(causal_mask(5).numpy(), expected)


def test_a_query_with_every_key_masked_raises_instead_of_nan():
    m = MultiheadAttention(E, H)
    q = tr.randn(L, N, E)
    padding = np.array([[False] * S, [True] * S])
    with pytest.raises(tr.OpError, match=r"MultiheadAttention: every key is masked for batch rows \[1\]"):
        m(q, q, q, key_padding_mask=padding[:, :L])


def test_dropout_acts_in_training_only():
    m = MultiheadAttention(E, H, dropout=0.5)
    q = tr.randn(L, N, E)
    m.eval()
    a, _ = m(q, q, q)
    b, _ = m(q, q, q)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    m.train()
    c, w = m(q, q, q, average_attn_weights=False)
    assert not np.allclose(a.numpy(), c.numpy())
    assert set(np.unique(w.numpy() == 0)) == {True, False}  # the returned weights are the dropped ones


def test_bad_sizes_and_masks_are_named():
    m = MultiheadAttention(E, H)
    q = tr.randn(L, N, E)
    with pytest.raises(tr.OpError, match=r"embed_dim \(6\) must be a positive multiple of num_heads \(4\)"):
        MultiheadAttention(6, 4)
    with pytest.raises(tr.OpError, match=r"expected feature sizes \(embed_dim, kdim, vdim\) = \(8, 8, 8\)"):
        m(q, tr.randn(S, N, 5), tr.randn(S, N, 5))
    with pytest.raises(tr.OpError, match=r"attn_mask has shape \(2, 2\), expected \(3, 3\) or \(4, 3, 3\)"):
        m(q, q, q, attn_mask=np.zeros((2, 2), dtype=bool))
    with pytest.raises(tr.OpError, match="key_padding_mask must be boolean .* or float"):
        m(q, q, q, key_padding_mask=np.zeros((N, L), dtype=np.int64))

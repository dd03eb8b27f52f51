"""Additive, dot-product and local attention: formulas, masks, weights kept, gradients."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.nn.attention import AdditiveAttention, DotProductAttention, LocalAttention, lengths_to_padding_mask

B, T, S, DQ, DK, DV = 2, 3, 5, 4, 3, 2


def make(kind):
    if kind == "additive":
        return AdditiveAttention(DQ, DK, 6)
    if kind == "dot":
        return DotProductAttention(DQ, DQ, form="dot")
    if kind == "general":
        return DotProductAttention(DQ, DK, form="general", scaled=True)
    if kind == "local":
        return LocalAttention(DQ, DK, window=1, score="general")
    if kind == "local-additive":
        return LocalAttention(DQ, DK, window=2, score="additive")
    raise ValueError(kind)


KINDS = ["additive", "dot", "general", "local", "local-additive"]


def inputs(kind, device, requires_grad=False):
    """query (B, T, DQ), keys (B, S, DK), values (B, S, DV) in float64."""
    rng = np.random.default_rng(1)
    dk = DQ if kind == "dot" else DK
    return [tr.tensor(rng.standard_normal(shape), dtype=np.float64, device=device, requires_grad=requires_grad)
            for shape in [(B, T, DQ), (B, S, dk), (B, S, DV)]]


PADDING = lengths_to_padding_mask([S, 3])  # row 1 has two padded keys


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck_inputs_and_parameters_with_padding(kind, device):
    module = make(kind).double().to(device)
    q, k, v = inputs(kind, device, requires_grad=True)
    mask = PADDING.to(device)

    def fn(q, k, v, *params):
        return module(q, k, v, key_padding_mask=mask)

    assert tr.gradcheck(fn, [q, k, v, *module.parameters()])


@pytest.mark.parametrize("kind", KINDS)
def test_padded_keys_get_weight_exactly_zero(kind, device):
    module = make(kind).double().to(device)
    q, k, v = inputs(kind, device)
    _, weights = module(q, k, v, key_padding_mask=PADDING.to(device))
    assert (weights.numpy()[1, :, 3:] == 0).all()
    assert (weights.numpy()[0] > 0).any(axis=-1).all()


@pytest.mark.parametrize("kind", KINDS)
def test_padding_changes_nothing_when_the_padded_keys_change(kind):
    module = make(kind).double()
    q, k, v = inputs(kind, "cpu")
    context, _ = module(q, k, v, key_padding_mask=PADDING)
    k2, v2 = k.numpy().copy(), v.numpy().copy()
    k2[1, 3:] += 5.0
    v2[1, 3:] -= 7.0
    context2, _ = module(q, tr.tensor(k2), tr.tensor(v2), key_padding_mask=PADDING)
    np.testing.assert_allclose(context.numpy()[1], context2.numpy()[1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_a_row_with_every_key_masked_raises_naming_the_module_and_rows(kind):
    module = make(kind).double()
    q, k, v = inputs(kind, "cpu")
    mask = np.zeros((B, S), dtype=bool)
    mask[1] = True
    name = type(module).__name__
    with pytest.raises(tr.OpError, match=rf"{name}: every key is masked for batch rows \[1\]"):
        module(q, k, v, key_padding_mask=mask)


@pytest.mark.parametrize("kind", KINDS)
def test_last_weights_are_the_returned_weights(kind):
    module = make(kind).double()
    q, k, v = inputs(kind, "cpu")
    assert module.last_weights is None
    _, weights = module(q, k, v)
    np.testing.assert_array_equal(module.last_weights.numpy(), weights.numpy())
    assert not module.last_weights.requires_grad


@pytest.mark.parametrize("kind", KINDS)
def test_a_2d_query_is_one_step_of_a_3d_query(kind):
    module = make(kind).double()
    q, k, v = inputs(kind, "cpu")
    context, weights = module(q, k, v)
    context1, weights1 = module(q[:, 1], k, v)
    assert context1.shape == (B, DV) and weights1.shape == (B, S)
    np.testing.assert_allclose(context1.numpy(), context.numpy()[:, 1], atol=1e-12)
    np.testing.assert_allclose(weights1.numpy(), weights.numpy()[:, 1], atol=1e-12)


@pytest.mark.parametrize("kind", ["additive", "dot", "general"])
def test_global_weights_sum_to_one_and_context_is_their_average_of_values(kind):
    module = make(kind).double()
    q, k, v = inputs(kind, "cpu")
    context, weights = module(q, k, v)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(context.numpy(), weights.numpy() @ v.numpy(), atol=1e-12)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_additive_scores_follow_bahdanau():
    module = make("additive").double()
    q, k, _ = inputs("additive", "cpu")
    Wq, Wk, b = module.query_proj.weight.numpy(), module.key_proj.weight.numpy(), module.key_proj.bias.numpy()
    v = module.energy.weight.numpy()[0]
    hidden = np.tanh((q.numpy() @ Wq.T)[:, :, None, :] + (k.numpy() @ Wk.T + b)[:, None, :, :])
    _, weights = module(q, k)
    np.testing.assert_allclose(weights.numpy(), softmax(hidden @ v), atol=1e-12)


def test_dot_product_general_and_scaled_scores_follow_luong():
    rng = np.random.default_rng(2)
    q, k = rng.standard_normal((B, T, DQ)), rng.standard_normal((B, S, DK))
    general = DotProductAttention(DQ, DK, form="general").double()
    Wa = general.key_proj.weight.numpy()  # (DQ, DK)
    _, w = general(tr.tensor(q), tr.tensor(k))
    np.testing.assert_allclose(w.numpy(), softmax(q @ Wa @ k.transpose(0, 2, 1)), atol=1e-12)
    k = rng.standard_normal((B, S, DQ))
    _, w = DotProductAttention(DQ, scaled=True)(tr.tensor(q), tr.tensor(k))
    np.testing.assert_allclose(w.numpy(), softmax(q @ k.transpose(0, 2, 1) / np.sqrt(DQ)), atol=1e-12)


def test_local_weights_follow_luong_local_p():
    D = 1
    module = LocalAttention(DQ, DK, window=D, score="general").double()
    q, k, _ = inputs("local", "cpu")
    lengths = np.array([S, 3])
    _, weights = module(q, k, key_padding_mask=lengths_to_padding_mask(lengths))
    Wp, vp = module.position_proj.weight.numpy(), module.position_energy.weight.numpy()[0]
    Wa = module.scorer.key_proj.weight.numpy()
    p = (lengths[:, None] - 1) / (1 + np.exp(-(np.tanh(q.numpy() @ Wp.T) @ vp)))       # (B, T)
    np.testing.assert_allclose(module.last_positions.numpy(), p, atol=1e-12)
    s = np.arange(S)
    inside = (np.abs(s[None, None, :] - p[..., None]) <= D) & (s[None, None, :] < lengths[:, None, None])
    scores = np.where(inside, q.numpy() @ Wa @ k.numpy().transpose(0, 2, 1), -np.inf)
    expected = softmax(scores) * np.exp(-(s - p[..., None]) ** 2 / (2 * (D / 2) ** 2))
    np.testing.assert_allclose(weights.numpy(), expected, atol=1e-12)
    assert (weights.numpy()[~inside] == 0).all()


def test_local_attention_switched_to_global_is_global_attention_with_the_same_score():
    module = LocalAttention(DQ, DK, window=1, score="general").double()
    q, k, v = inputs("local", "cpu")
    local_context, _ = module(q, k, v)
    module.local = False
    context, weights = module(q, k, v)
    expected_context, expected_weights = module.scorer(q, k, v)
    np.testing.assert_allclose(weights.numpy(), expected_weights.numpy(), atol=1e-12)
    np.testing.assert_allclose(context.numpy(), expected_context.numpy(), atol=1e-12)
    assert not np.allclose(context.numpy(), local_context.numpy())


def test_local_position_predictor_learns_through_the_gaussian():
    module = LocalAttention(DQ, DK, window=2).double()
    q, k, v = inputs("local", "cpu")
    context, _ = module(q, k, v)
    context.sum().backward()
    assert np.abs(module.position_proj.weight.grad.numpy()).sum() > 0
    assert np.abs(module.position_energy.weight.grad.numpy()).sum() > 0


def test_lengths_to_padding_mask_marks_positions_past_each_length():
    mask = lengths_to_padding_mask([2, 0, 3], max_len=4).numpy()
    np.testing.assert_array_equal(mask, [[0, 0, 1, 1], [1, 1, 1, 1], [0, 0, 0, 1]])


def test_dot_form_with_different_sizes_is_refused():
    with pytest.raises(tr.OpError, match="DotProductAttention: the dot form needs query_size == key_size"):
        DotProductAttention(4, 3, form="dot")


def test_unknown_form_and_score_are_refused():
    with pytest.raises(tr.OpError, match="form must be one of"):
        DotProductAttention(4, form="cosine")
    with pytest.raises(tr.OpError, match="score must be one of"):
        LocalAttention(4, 4, window=2, score="cosine")
    with pytest.raises(tr.OpError, match=r"window \(the half-width D\) must be an int >= 1"):
        LocalAttention(4, 4, window=0)


def test_wrong_query_width_is_named():
    module = make("additive")
    with pytest.raises(tr.OpError, match=r"AdditiveAttention: expected query \(\.\.\., 4\) and keys \(\.\.\., 3\)"):
        module(tr.zeros(B, 5), tr.zeros(B, S, DK))


def test_batch_mismatch_is_named():
    with pytest.raises(tr.OpError, match="DotProductAttention: batch and length disagree"):
        make("dot")(tr.zeros(3, DQ), tr.zeros(B, S, DQ))


def test_mask_of_the_wrong_shape_or_dtype_is_refused():
    module = make("dot")
    q, k = tr.zeros(B, DQ), tr.zeros(B, S, DQ)
    with pytest.raises(tr.OpError, match=r"key_padding_mask has shape \(2, 4\), expected \(batch, keys\) = \(2, 5\)"):
        module(q, k, key_padding_mask=np.zeros((B, S - 1), dtype=bool))
    with pytest.raises(tr.OpError, match="key_padding_mask must be boolean"):
        module(q, k, key_padding_mask=np.zeros((B, S)))

"""Checks of ids, targets and masks without stopping the GPU.

Values given on the host are checked there before they are copied; values
already on a GPU are checked on the GPU: a bad one turns its result nan (the
loss then is nan) instead of costing a read-back per call, and under
tr.detect_anomaly() they are read back and raise the CPU's error. On the CPU
everything is checked and raises, as before.
"""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import backend, nn
from tinygrad_rnn.nn import functional as F


def on_gpu_only(device):
    if device == "cpu":
        pytest.skip("the CPU checks these values and raises (see the tests that run on every device)")


# ---- Embedding ------------------------------------------------------------------
@pytest.mark.parametrize("ids", [[0, 4], np.array([[1, -1]])], ids=["list", "numpy"])
def test_embedding_checks_host_ids_before_copying_them(ids, device):
    emb = nn.Embedding(4, 2).to(device)
    with pytest.raises(tr.OpError, match=r"embedding: ids must lie in \[0, 4\), got values from -?\d to \d"):
        emb(ids)


def test_embedding_checks_ids_on_the_cpu():
    with pytest.raises(tr.OpError, match=r"embedding: ids must lie in \[0, 4\), got values from 0 to 4"):
        nn.Embedding(4, 2)(tr.tensor(np.array([0, 4])))


def test_embedding_of_out_of_range_gpu_ids_reads_nan_rows_and_sends_them_no_gradient(device):
    on_gpu_only(device)
    emb = nn.Embedding(4, 2).double().to(device)
    out = emb(tr.tensor(np.array([1, 4, -1, 3]), device=device))
    rows = out.numpy()
    assert np.isnan(rows[[1, 2]]).all()
    np.testing.assert_array_equal(rows[[0, 3]], emb.weight.numpy()[[1, 3]])
    (out[tr.tensor(np.array([0, 3]))] * 1.0).sum().backward()
    grad = emb.weight.grad.numpy()
    np.testing.assert_array_equal(grad, [[0, 0], [1, 1], [0, 0], [1, 1]])


def test_embedding_of_gpu_ids_under_detect_anomaly_raises_the_cpu_error(device):
    emb = nn.Embedding(4, 2).to(device)
    ids = tr.tensor(np.array([0, 4]), device=device)
    with tr.detect_anomaly(), pytest.raises(tr.OpError, match=r"embedding: ids must lie in \[0, 4\), got values "
                                                              r"from 0 to 4"):
        emb(ids)


def test_embedding_refuses_a_tensor_of_ids_on_another_device(device):
    on_gpu_only(device)
    with pytest.raises(tr.DeviceError, match="embedding: ids are on cpu but the weight is on cuda"):
        nn.Embedding(4, 2).to(device)(tr.tensor(np.array([0, 1])))


# ---- cross_entropy's class-index targets ---------------------------------------------
def test_cross_entropy_checks_host_targets_before_copying_them(device):
    logits = tr.zeros(2, 3, device=device)
    with pytest.raises(tr.OpError, match=r"cross_entropy: target 7 is out of bounds for 3 classes"):
        F.cross_entropy(logits, np.array([0, 7]))
    with pytest.raises(tr.OpError, match=r"cross_entropy: target -2 is out of bounds for 3 classes"):
        F.cross_entropy(logits, [-2, 1])


def test_cross_entropy_of_an_out_of_range_gpu_target_is_nan(device):
    on_gpu_only(device)
    logits = tr.zeros(3, 3, device=device, requires_grad=True)
    target = tr.tensor(np.array([0, 7, -100]), device=device)
    assert np.isnan(F.cross_entropy(logits, target).item())
    per_item = F.cross_entropy(logits, target, reduction="none").numpy()
    assert per_item[0] == pytest.approx(np.log(3)) and np.isnan(per_item[1]) and per_item[2] == 0


def test_cross_entropy_of_gpu_targets_under_detect_anomaly_raises_the_cpu_error(device):
    logits = tr.zeros(2, 3, device=device)
    target = tr.tensor(np.array([0, 7]), device=device)
    with tr.detect_anomaly(), pytest.raises(tr.OpError, match=r"cross_entropy: target 7 is out of bounds"):
        F.cross_entropy(logits, target)


def test_cross_entropy_of_valid_gpu_targets_matches_the_cpu(device):
    rng = np.random.default_rng(0)
    logits, target = rng.standard_normal((5, 4)), np.array([0, 3, -100, 1, 2])
    weight = np.array([1.0, 2.0, 0.5, 1.0])
    ours = F.cross_entropy(tr.tensor(logits, dtype=tr.float64, device=device), tr.tensor(target, device=device),
                           weight=tr.tensor(weight, dtype=tr.float64, device=device), label_smoothing=0.1)
    cpu = F.cross_entropy(tr.tensor(logits, dtype=tr.float64), tr.tensor(target),
                          weight=tr.tensor(weight, dtype=tr.float64), label_smoothing=0.1)
    assert ours.item() == pytest.approx(cpu.item(), rel=1e-12)


# ---- attention masks -------------------------------------------------------------
def masked_rows_input(device):
    attention = nn.MultiheadAttention(4, 2).to(device)
    q = tr.randn(3, 2, 4, device=device)
    padding = backend.as_array(np.array([[False] * 3, [True] * 3]), device=device)
    return attention, q, padding


def test_attention_with_every_key_masked_raises_on_the_cpu():
    attention, q, padding = masked_rows_input("cpu")
    with pytest.raises(tr.OpError, match=r"MultiheadAttention: every key is masked for batch rows \[1\]"):
        attention(q, q, q, key_padding_mask=padding)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # the stand-in's NumPy says 0/0
def test_attention_with_every_key_masked_gives_nan_rows_on_the_gpu_as_pytorch(device):
    on_gpu_only(device)
    attention, q, padding = masked_rows_input(device)
    _, weights = attention(q, q, q, key_padding_mask=padding)
    w = weights.numpy()
    assert np.isnan(w[1]).all() and np.isfinite(w[0]).all()


def test_attention_with_every_key_masked_under_detect_anomaly_raises_on_every_device(device):
    attention, q, padding = masked_rows_input(device)
    with tr.detect_anomaly(), pytest.raises(tr.OpError, match=r"every key is masked for batch rows \[1\]"):
        attention(q, q, q, key_padding_mask=padding)
    additive = nn.AdditiveAttention(4, 4, 3).to(device)
    keys = tr.randn(2, 3, 4, device=device)
    with tr.detect_anomaly(), pytest.raises(tr.OpError, match=r"AdditiveAttention: every key is masked for batch "
                                                              r"rows \[1\]"):
        additive(tr.randn(2, 4, device=device), keys, key_padding_mask=padding)


def test_attention_takes_a_raw_device_mask_batched_and_unbatched(device):
    attention = nn.MultiheadAttention(4, 2).double().to(device)
    q = tr.randn(3, 2, 4, dtype=tr.float64, device=device)
    host = np.array([[False, False, True], [False, True, True]])
    expected, _ = attention(q, q, q, key_padding_mask=host)
    got, _ = attention(q, q, q, key_padding_mask=backend.as_array(host, device=device))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)
    single = q[:, 0]
    expected, _ = attention(single, single, single, key_padding_mask=host[0])
    got, _ = attention(single, single, single, key_padding_mask=backend.as_array(host[0], device=device))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)


def test_attention_is_causal_masks_the_later_keys_as_causal_mask_does(device):
    attention = nn.MultiheadAttention(4, 2).double().to(device)
    q = tr.randn(5, 2, 4, dtype=tr.float64, device=device)
    causal, weights = attention(q, q, q, is_causal=True)
    expected, _ = attention(q, q, q, attn_mask=nn.causal_mask(5, device=device))
    np.testing.assert_allclose(causal.numpy(), expected.numpy(), rtol=1e-12)
    assert (np.triu(weights.numpy()[0], k=1) == 0).all()


def test_lengths_to_padding_mask_takes_lengths_from_any_device(device):
    expected = [[False, False, True], [False, True, True]]
    for lengths in ([2, 1], tr.tensor(np.array([2, 1]), device=device),
                    backend.as_array(np.array([2, 1]), device=device)):
        mask = nn.lengths_to_padding_mask(lengths, max_len=3, device=device)
        assert mask.device == device
        np.testing.assert_array_equal(mask.numpy(), expected)

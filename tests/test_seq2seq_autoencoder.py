"""Sequence autoencoder and its denoising corruption."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.optim import Adam
from tinygrad_rnn.seq2seq import Decoder, Encoder, SequenceAutoencoder, corrupt

PAD, BOS, EOS, MASK, V = 0, 1, 2, 3, 10
SRC = np.array([[4, 5, 6, 7, 8], [9, 8, 7, PAD, PAD]])
LENGTHS = [5, 3]


def autoencoder(attention=None, **noise):
    encoder = Encoder(V, 4, 12, padding_idx=PAD)
    decoder = Decoder(V, 4, 12, encoder.output_size, attention=attention, padding_idx=PAD)
    return SequenceAutoencoder(encoder, decoder, bos=BOS, eos=EOS, pad=PAD, **noise)


def test_targets_are_the_input_then_eos():
    np.testing.assert_array_equal(autoencoder().targets(SRC, LENGTHS),
                                  [[4, 5, 6, 7, 8, EOS], [9, 8, 7, EOS, PAD, PAD]])


def test_without_noise_corrupt_changes_nothing():
    out, lengths = corrupt(SRC, LENGTHS)
    np.testing.assert_array_equal(out, SRC)
    np.testing.assert_array_equal(lengths, LENGTHS)


def test_local_shuffle_moves_no_token_more_than_the_window():
    row = np.arange(10, 40)
    rng = np.random.default_rng(0)
    for _ in range(20):
        out, _ = corrupt(row[None], [30], shuffle_window=3, rng=rng)
        moved = np.abs(np.argsort(out[0]) - np.arange(30))
        assert moved.max() <= 3 and sorted(out[0]) == list(row)


def test_word_dropout_deletes_tokens_keeps_order_and_one_token():
    out, lengths = corrupt(SRC, LENGTHS, drop_prob=0.5, rng=np.random.default_rng(1))
    for row, n, original, m in zip(out, lengths, SRC, LENGTHS):
        kept = list(row[:n])
        assert 1 <= n <= m and (row[n:] == PAD).all()
        assert kept == [t for t in original[:m] if t in kept]
    out, lengths = corrupt(SRC[:1, :1], [1], drop_prob=0.9, rng=np.random.default_rng(0))
    assert lengths[0] == 1


def test_masking_replaces_tokens_with_the_mask_token():
    out, lengths = corrupt(SRC, LENGTHS, mask_prob=1.0, mask_token=MASK)
    assert (out[0] == MASK).all() and (out[1, :3] == MASK).all() and (out[1, 3:] == PAD).all()
    with pytest.raises(tr.OpError, match="corrupt: mask_prob > 0 needs a mask_token"):
        corrupt(SRC, LENGTHS, mask_prob=0.5)


def test_noise_applies_in_training_mode_only():
    model = autoencoder(mask_prob=1.0, mask_token=MASK)
    assert (model.corrupt(SRC, LENGTHS)[0][0] == MASK).all()
    model.eval()
    np.testing.assert_array_equal(model.corrupt(SRC, LENGTHS)[0], SRC)


def test_code_is_one_fixed_size_vector_per_sequence():
    assert autoencoder().code(tr.tensor(SRC), LENGTHS).shape == (2, 12)


@pytest.mark.parametrize("noise", [{}, {"drop_prob": 0.2, "shuffle_window": 2}])
def test_reconstruction_loss_falls_and_reaches_every_parameter(noise):
    model = autoencoder(**noise)
    optimizer = Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(25):
        loss = model.reconstruction_loss(tr.tensor(SRC), LENGTHS)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert all(p.grad is not None for p in model.parameters())
    assert np.mean(losses[-5:]) < 0.5 * losses[0]


def test_a_clean_autoencoder_reconstructs_a_tiny_batch_it_overfits():
    model = autoencoder()
    optimizer = Adam(model.parameters(), lr=0.02)
    for _ in range(60):
        loss = model.reconstruction_loss(tr.tensor(SRC), LENGTHS)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    assert [h.tokens for h in model.reconstruct(tr.tensor(SRC), LENGTHS)] == [[4, 5, 6, 7, 8], [9, 8, 7]]
    assert [h.tokens for h in model.reconstruct(tr.tensor(SRC), LENGTHS, beam_width=3)] == [[4, 5, 6, 7, 8],
                                                                                            [9, 8, 7]]


def test_code_and_reconstruction_run_on_the_models_device(device):
    model = autoencoder(drop_prob=0.2).to(device)
    code = model.code(SRC, LENGTHS)
    assert code.device == device and code.shape == (2, 12)
    cpu = autoencoder(drop_prob=0.2)
    cpu.load_state_dict(model.state_dict())
    np.testing.assert_allclose(code.numpy(), cpu.code(SRC, LENGTHS).numpy(), rtol=1e-5, atol=1e-6)
    loss = model.reconstruction_loss(tr.backend.as_array(SRC, device=device), LENGTHS)
    assert loss.device == device and np.isfinite(loss.item())

"""Batching: padding with lengths, the shuffling loader, sliding windows, the character vocabulary."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import backend, data


def test_pad_sequences_pads_to_the_longest_and_returns_lengths():
    padded, lengths = data.pad_sequences([np.array([1, 2, 3]), np.array([4])], pad_value=-1)
    np.testing.assert_array_equal(padded, [[1, 2, 3], [4, -1, -1]])
    np.testing.assert_array_equal(lengths, [3, 1])


def test_pad_sequences_keeps_feature_axes():
    padded, _ = data.pad_sequences([np.ones((2, 3)), np.ones((4, 3))])
    assert padded.shape == (2, 4, 3)


def test_pad_sequences_names_a_mismatched_feature_shape():
    with pytest.raises(ValueError, match=r"sequence 1 has shape \(2, 4\)"):
        data.pad_sequences([np.ones((2, 3)), np.ones((2, 4))])


def test_loader_pads_each_batch_to_its_own_longest_sequence():
    seqs = [np.arange(n) for n in (1, 2, 8, 9)]
    loader = data.SequenceLoader(seqs, np.arange(4), batch_size=2, shuffle=False)
    first, second = list(loader)
    assert first.inputs.shape == (2, 2) and second.inputs.shape == (2, 9)
    np.testing.assert_array_equal(first.lengths, [1, 2])
    assert first.inputs.dtype == np.int64 and first.target_lengths is None


def test_loader_shuffle_visits_every_item_once_and_depends_on_the_seed():
    seqs = [np.array([i]) for i in range(10)]

    def epoch(seed):
        tr.manual_seed(seed)
        return [int(v) for b in data.SequenceLoader(seqs, batch_size=3) for v in b.inputs.numpy()[:, 0]]

    assert sorted(epoch(0)) == list(range(10))
    assert epoch(0) == epoch(0) and epoch(0) != epoch(1)


def test_loader_pads_variable_length_targets_and_returns_their_lengths():
    loader = data.SequenceLoader([np.array([1, 2])] * 2, [np.array([5]), np.array([6, 7, 8])],
                                 batch_size=2, shuffle=False, target_pad_value=-100)
    batch = next(iter(loader))
    np.testing.assert_array_equal(batch.targets.numpy(), [[5, -100, -100], [6, 7, 8]])
    np.testing.assert_array_equal(batch.target_lengths, [1, 3])


def test_loader_treats_a_list_of_target_arrays_as_sequences_even_when_equal_in_length():
    loader = data.SequenceLoader([np.array([1])] * 2, [np.array([5, 6]), np.array([7, 8])], batch_size=2, shuffle=False)
    np.testing.assert_array_equal(next(iter(loader)).target_lengths, [2, 2])


def test_loader_gives_float32_for_float_data_and_honours_drop_last():
    loader = data.SequenceLoader(np.zeros((5, 3, 2)), np.zeros(5), batch_size=2, drop_last=True)
    batches = list(loader)
    assert len(loader) == len(batches) == 2
    assert batches[0].inputs.dtype == np.float32 and batches[0].inputs.shape == (2, 3, 2)


def test_loader_rejects_mismatched_targets():
    with pytest.raises(ValueError, match="3 sequences but 2 targets"):
        data.SequenceLoader([np.zeros(1)] * 3, np.zeros(2))


def test_sliding_windows_pair_each_window_with_the_next_value():
    x, y = data.sliding_windows(np.arange(6.0), window=3)
    np.testing.assert_array_equal(x, [[0, 1, 2], [1, 2, 3], [2, 3, 4]])
    np.testing.assert_array_equal(y, [3, 4, 5])


def test_sliding_windows_horizon_looks_further_ahead():
    x, y = data.sliding_windows(np.arange(6.0), window=2, horizon=3)
    np.testing.assert_array_equal(y, [4, 5])
    assert len(x) == 2


def test_sliding_windows_reject_a_too_short_series():
    with pytest.raises(ValueError, match="length 3 has no window of 5"):
        data.sliding_windows(np.arange(3.0), window=5)


def test_standardizer_round_trips_with_training_statistics():
    s = data.Standardizer([1.0, 3.0])
    assert s.transform([2.0]).tolist() == [0.0]
    np.testing.assert_allclose(s.inverse(s.transform([7.0, -1.0])), [7.0, -1.0])


def test_char_vocab_round_trips_text():
    vocab = data.CharVocab("hello world")
    ids = vocab.encode("low")
    assert ids.dtype == np.int64 and len(vocab) == 8
    assert vocab.decode(ids) == "low"
    assert vocab.decode(tr.tensor(ids)) == "low"


def test_char_vocab_names_an_unknown_character():
    with pytest.raises(KeyError, match="character 'z' is not in the vocabulary of 3"):
        data.CharVocab("abc").encode("az")


def test_char_vocab_maps_unknown_characters_when_asked():
    vocab = data.CharVocab("abc", unknown="?")
    assert vocab.decode(vocab.encode("az")) == "a?"


def test_char_vocab_counts_give_unigram_frequencies():
    assert data.CharVocab("aab").counts("aab").tolist() == [2, 1]


def test_pad_sequences_pads_device_arrays_on_their_device(device):
    rows = [backend.as_array(np.array([1, 2, 3]), device=device), np.array([4]), tr.tensor(np.array([5, 6]))]
    padded, lengths = data.pad_sequences(rows, pad_value=-1)
    assert backend.device_of(padded) == device and type(lengths) is np.ndarray
    np.testing.assert_array_equal(backend.to_numpy(padded), [[1, 2, 3], [4, -1, -1], [5, 6, -1]])
    np.testing.assert_array_equal(lengths, [3, 1, 2])


def test_char_vocab_decodes_ids_from_any_device(device):
    vocab = data.CharVocab("hello")
    ids = vocab.encode("hole")
    assert vocab.decode(backend.as_array(ids, device=device)) == "hole"
    assert vocab.decode(tr.tensor(ids, device=device)) == "hole"

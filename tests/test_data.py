"""Datasets: the shipped series and text, the synthetic tasks and their known answers."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import data


def test_sunspots_cover_1700_to_2008_with_known_values():
    years, numbers = data.load_sunspots()
    assert years[0] == 1700 and years[-1] == 2008 and len(numbers) == 309
    assert numbers[:3].tolist() == [5.0, 11.0, 16.0]
    assert numbers.min() >= 0 and 150 < numbers.max() < 200


def test_sunspots_show_the_eleven_year_cycle():
    _, numbers = data.load_sunspots()
    x = numbers - numbers.mean()
    autocorr = [np.dot(x[:-k], x[k:]) / np.dot(x, x) for k in range(1, 16)]
    # the cycle averages about 10.7 years: the autocorrelation peaks at lags 10 and 11
    assert int(np.argmax(autocorr[5:])) + 6 in (data.SUNSPOT_CYCLE - 1, data.SUNSPOT_CYCLE)


def test_stdlib_corpus_is_ascii_and_large_enough_for_a_char_model():
    text = data.load_stdlib_source()
    assert len(text) > 50_000
    assert text.isascii()
    assert "def " in text


def test_stdlib_corpus_max_chars_truncates():
    assert len(data.load_stdlib_source(max_chars=1000)) == 1000


def test_load_text_names_the_missing_file(tmp_path):
    with pytest.raises(data.CorpusError, match="load_text: cannot read .*missing.txt"):
        data.load_text(tmp_path / "missing.txt")


def test_split_text_keeps_the_tail_for_evaluation():
    train, test = data.split_text("abcdefghij", held_out=0.2)
    assert (train, test) == ("abcdefgh", "ij")


def test_sine_wave_has_the_given_period():
    x = data.sine_wave(40, period=20.0)
    np.testing.assert_allclose(x[:20], x[20:], atol=1e-12)
    assert x[5] == pytest.approx(1.0)


def test_noisy_sine_draws_from_the_seeded_generator():
    tr.manual_seed(3)
    a = data.sine_wave(50, noise=0.1)
    tr.manual_seed(3)
    b = data.sine_wave(50, noise=0.1)
    np.testing.assert_array_equal(a, b)
    assert 0.05 < np.std(a - data.sine_wave(50)) < 0.2


def test_adding_problem_target_is_the_sum_of_the_two_marked_values():
    x, y = data.adding_problem(64, 20)
    assert x.shape == (64, 20, 2) and y.shape == (64,)
    assert (x[:, :, 1].sum(axis=1) == 2).all()
    assert (x[:, :10, 1].sum(axis=1) == 1).all()
    np.testing.assert_allclose((x[:, :, 0] * x[:, :, 1]).sum(axis=1), y, rtol=1e-6)


def test_copy_task_targets_repeat_the_symbols_after_the_delay():
    x, y = data.copy_task(5, n_symbols=6, seq_len=4, delay=3)
    assert x.shape == y.shape == (5, 11)
    np.testing.assert_array_equal(y[:, -4:], x[:, :4])
    assert (x[:, 6] == 7).all() and (y[:, :7] == 0).all()
    assert x[:, :4].min() >= 1 and x[:, :4].max() <= 6


@pytest.mark.parametrize("task", ["reverse", "sort"])
def test_digit_sequences_targets_are_reversed_or_sorted(task):
    sources, targets = data.digit_sequences(30, 2, 6, task=task)
    for s, t in zip(sources, targets):
        assert 2 <= len(s) <= 6
        expected = s[::-1] if task == "reverse" else np.sort(s)
        np.testing.assert_array_equal(t, expected)


def test_digit_sequences_reject_an_unknown_task():
    with pytest.raises(ValueError, match="task must be 'reverse' or 'sort'"):
        data.digit_sequences(3, task="shuffle")


def test_first_last_match_labels_are_true():
    seqs, labels = data.first_last_match(200, n_symbols=4, min_len=3, max_len=9)
    for s, label in zip(seqs, labels):
        assert (s[0] == s[-1]) == bool(label)
        assert 3 <= len(s) <= 9 and s.min() >= 1 and s.max() <= 4
    assert 0.35 < labels.mean() < 0.65


def test_first_last_match_needs_two_symbols_per_sequence():
    with pytest.raises(ValueError, match="need 2 <= min_len <= max_len"):
        data.first_last_match(3, min_len=1)

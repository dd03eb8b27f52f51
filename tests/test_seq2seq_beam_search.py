"""Beam search: width 1 is greedy, a wider beam finds what greedy misses, length normalisation, EOS, max_len."""

import itertools

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.nn import Module
from tinygrad_rnn.seq2seq import Decoder, Encoder, Seq2Seq, beam_search

EOS, A, B, BOS = 0, 1, 2, 3


class TableDecoder(Module):
    """A hand-built decoder: p(next | previous token) read from a table, whatever the source."""

    def __init__(self, table):
        super().__init__()
        self.log_table = np.log(np.maximum(np.asarray(table, dtype=np.float64), 1e-12))

    def initial_state(self, summary):
        return (summary,)

    def step(self, tokens, state, memory=None, key_padding_mask=None):
        return tr.tensor(self.log_table[tokens.numpy()]), state, None


class NullEncoder(Module):
    def forward(self, src, lengths=None):
        return tr.zeros(src.shape[0], src.shape[1], 1), tr.zeros(src.shape[0], 1)


def table_model(rows):
    """rows: previous token -> p(EOS, A, B, BOS)."""
    return Seq2Seq(NullEncoder(), TableDecoder([rows[t] for t in (EOS, A, B, BOS)]), bos=BOS, eos=EOS, pad=EOS)


# greedy takes A (0.6) then EOS (0.4): 0.24; the best output is B EOS: 0.4 * 0.9 = 0.36
GARDEN_PATH = {BOS: [0.0, 0.6, 0.4, 0.0], A: [0.4, 0.3, 0.3, 0.0], B: [0.9, 0.05, 0.05, 0.0], EOS: [1, 0, 0, 0]}


def best_by_enumeration(rows, max_len):
    best, best_p = None, -1.0
    for n in range(max_len):
        for tokens in itertools.product([A, B], repeat=n):
            p, previous = 1.0, BOS
            for t in (*tokens, EOS):
                p, previous = p * rows[previous][t], t
            if p > best_p:
                best, best_p = list(tokens), p
    return best, best_p


def test_beam_search_finds_the_most_probable_output_that_greedy_misses():
    model, src = table_model(GARDEN_PATH), tr.zeros(1, 3, dtype=np.int64)
    best, p = best_by_enumeration(GARDEN_PATH, max_len=5)
    assert best == [B]
    assert model.greedy(src, max_len=5)[0].tokens == [A]
    hyp = model.beam_search(src, beam_width=2, max_len=5, length_penalty=0.0)[0]
    assert hyp.tokens == [B]
    assert hyp.score == pytest.approx(np.log(p))


def test_beam_of_width_one_is_greedy_on_the_hand_built_model():
    model, src = table_model(GARDEN_PATH), tr.zeros(1, 3, dtype=np.int64)
    assert model.beam_search(src, beam_width=1, max_len=5)[0].tokens == model.greedy(src, max_len=5)[0].tokens


def test_beam_of_width_one_is_greedy_on_a_random_attention_model():
    encoder = Encoder(9, 4, 6, bidirectional=True, padding_idx=0)
    model = Seq2Seq(encoder, Decoder(9, 4, 6, 12, attention="general", padding_idx=0), bos=1, eos=2, pad=0)
    src = tr.tensor(np.random.default_rng(0).integers(3, 9, size=(5, 6)))
    lengths = [6, 4, 5, 2, 6]
    greedy = model.greedy(src, lengths, max_len=8)
    beam = model.beam_search(src, lengths, beam_width=1, max_len=8)
    for g, b in zip(greedy, beam):
        assert g.tokens == b.tokens
        assert g.score == pytest.approx(b.score, abs=1e-5)
        np.testing.assert_allclose(g.attention, b.attention, atol=1e-6)


def test_length_normalisation_can_prefer_the_longer_output():
    rows = {BOS: [0.5, 0.5, 0.0, 0.0], A: [0.9, 0.05, 0.05, 0.0], B: [1, 0, 0, 0], EOS: [1, 0, 0, 0]}
    model, src = table_model(rows), tr.zeros(1, 2, dtype=np.int64)
    raw = model.beam_search(src, beam_width=2, max_len=4, length_penalty=0.0)[0]
    normalised = model.beam_search(src, beam_width=2, max_len=4, length_penalty=1.0)[0]
    assert raw.tokens == [] and raw.score == pytest.approx(np.log(0.5))
    assert normalised.tokens == [A] and normalised.normalized == pytest.approx(np.log(0.45) / 2)


def test_hypotheses_without_eos_are_cut_at_max_len():
    rows = {BOS: [0.0, 1.0, 0.0, 0.0], A: [0.0, 0.7, 0.3, 0.0], B: [0.0, 0.5, 0.5, 0.0], EOS: [1, 0, 0, 0]}
    hyp = table_model(rows).beam_search(tr.zeros(1, 2, dtype=np.int64), beam_width=3, max_len=4)[0]
    assert hyp.tokens == [A, A, A, A]


def test_generic_beam_search_returns_every_finished_hypothesis_best_first():
    log_table = np.log(np.maximum(np.array([GARDEN_PATH[t] for t in (EOS, A, B, BOS)]), 1e-12))

    def step(tokens, state):
        return log_table[tokens], state, None

    finished = beam_search(step, (tr.zeros(2, 1),), batch=1, bos=BOS, eos=EOS, beam_width=2, max_len=5,
                           length_penalty=0.0)[0]
    assert [h.tokens for h in finished] == [[B], [A]]
    assert finished[0].score >= finished[1].score


def test_beam_attention_has_one_row_per_output_step():
    encoder = Encoder(9, 4, 6, padding_idx=0)
    model = Seq2Seq(encoder, Decoder(9, 4, 6, 6, attention="additive", padding_idx=0), bos=1, eos=2, pad=0)
    src = tr.tensor(np.array([[3, 4, 5], [6, 7, 0]]))
    for hyp in model.beam_search(src, [3, 2], beam_width=3, max_len=4):
        assert hyp.attention.shape[0] in (len(hyp.tokens), len(hyp.tokens) + 1)
        np.testing.assert_allclose(hyp.attention.sum(-1), 1.0, atol=1e-6)


def test_bad_beam_width_is_refused():
    with pytest.raises(ValueError, match="beam_search: beam_width and max_len must be >= 1"):
        table_model(GARDEN_PATH).beam_search(tr.zeros(1, 2, dtype=np.int64), beam_width=0)

"""Encoder, attention decoder and Seq2Seq: shapes, padding, teacher forcing, gradients, overfitting."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.nn.losses import cross_entropy
from tinygrad_rnn.optim import Adam
from tinygrad_rnn.seq2seq import Decoder, Encoder, Seq2Seq

PAD, BOS, EOS, V = 0, 1, 2, 7
SRC = np.array([[3, 4, 5, 6], [6, 5, 3, PAD]])
LENGTHS = [4, 3]
TARGET = np.array([[6, 5, 4, 3, EOS], [3, 5, 6, EOS, PAD]])


def model(rnn="gru", cell="gru", attention="additive", bidirectional=True, input_feeding=True, hidden=5):
    encoder = Encoder(V, 3, hidden, rnn=rnn, bidirectional=bidirectional, padding_idx=PAD)
    decoder = Decoder(V, 3, hidden, encoder.output_size, attention=attention, cell=cell,
                      input_feeding=input_feeding, padding_idx=PAD)
    return Seq2Seq(encoder, decoder, bos=BOS, eos=EOS, pad=PAD)


def test_encoder_gives_memory_and_the_summary_of_both_directions():
    encoder = Encoder(V, 3, 5, rnn="lstm", bidirectional=True)
    memory, summary = encoder(tr.tensor(SRC), LENGTHS)
    assert memory.shape == (2, 4, 10) and summary.shape == (2, 10)
    m, s = memory.numpy(), summary.numpy()
    # forward direction ends at each row's last real step, the reverse one at step 0
    np.testing.assert_allclose(s[:, :5], [m[0, 3, :5], m[1, 2, :5]], atol=1e-6)
    np.testing.assert_allclose(s[:, 5:], m[:, 0, 5:], atol=1e-6)
    assert (m[1, 3] == 0).all()


@pytest.mark.parametrize("layer", [lambda: tr.nn.PeepholeLSTM(3, 4), lambda: tr.nn.JordanRNN(3, 6, 4),
                                   lambda: tr.nn.GRU(3, 2, num_layers=2, bidirectional=True)])
def test_encoder_takes_any_recurrent_layer_of_the_library(layer):
    encoder = Encoder(V, 3, rnn=layer())
    memory, summary = encoder(tr.tensor(SRC), LENGTHS)
    assert memory.shape == (2, 4, 4) and summary.shape == (2, 4)
    assert encoder.output_size == 4


def test_unknown_layer_cell_or_attention_is_refused():
    with pytest.raises(tr.OpError, match="Encoder: rnn must be one of"):
        Encoder(V, 3, 4, rnn="transformer")
    with pytest.raises(tr.OpError, match="Encoder: the recurrent layer reads inputs of size 5, but embed_size is 3"):
        Encoder(V, 3, rnn=tr.nn.GRU(5, 4))
    with pytest.raises(tr.OpError, match="Decoder: cell must be one of"):
        Decoder(V, 3, 4, 4, cell="tcn")
    with pytest.raises(tr.OpError, match="Decoder: attention must be one of"):
        Decoder(V, 3, 4, 4, attention="cosine")


@pytest.mark.parametrize("attention,cell", [("additive", "gru"), ("general", "lstm"), ("local", "rnn"),
                                            ("scaled", "gru"), (None, "lstm")])
def test_gradcheck_one_decoder_step(attention, cell, device):
    memory_size = 4 if attention == "scaled" else 6
    decoder = Decoder(V, 3, 4, memory_size, attention=attention, cell=cell).double().to(device)
    rng = np.random.default_rng(0)
    memory = tr.tensor(rng.standard_normal((2, 3, memory_size)), requires_grad=True, device=device)
    summary = tr.tensor(rng.standard_normal((2, memory_size)), requires_grad=True, device=device)
    mask = tr.nn.lengths_to_padding_mask([3, 2], device=device)
    tokens = tr.tensor(np.array([1, 4]), device=device)

    def one_step(memory, summary, *params):
        state = decoder.initial_state(summary)
        logits, state, _ = decoder.step(tokens, state, memory, mask)
        logits2, state, _ = decoder.step(tokens, state, memory, mask)  # the second step reads the fed-back h~
        return logits, logits2

    assert tr.gradcheck(one_step, [memory, summary, *decoder.parameters()])


def test_gradcheck_one_seq2seq_step_through_a_bidirectional_encoder():
    m = model(rnn="gru", hidden=3).double()
    src, tokens = tr.tensor(SRC), tr.tensor(np.array([BOS, BOS]))

    def step(*params):
        memory, mask, state = m.encode(src, LENGTHS)
        return m.decoder.step(tokens, state, memory, mask)[0]

    assert tr.gradcheck(step, list(m.parameters()))


def test_forward_gives_logits_per_target_step_and_the_loss_skips_padding():
    m = model()
    logits = m(tr.tensor(SRC), TARGET, LENGTHS)
    assert logits.shape == (2, 5, V)
    expected = cross_entropy(logits.reshape(10, V)[np.array([0, 1, 2, 3, 4, 5, 6, 7, 8])],
                             TARGET.reshape(-1)[:9])
    np.testing.assert_allclose(m.loss(tr.tensor(SRC), TARGET, LENGTHS).item(), expected.item(), rtol=1e-6)


def run_by_hand(m, choose):
    """Decode step by step: the next input is choose(t, logits)."""
    memory, mask, state = m.encode(tr.tensor(SRC), LENGTHS)
    previous, out = np.array([BOS, BOS]), []
    for t in range(TARGET.shape[1]):
        logits, state, _ = m.decoder.step(tr.tensor(previous), state, memory, mask)
        out.append(logits.numpy())
        previous = choose(t, logits.numpy())
    return np.stack(out, axis=1)


def test_teacher_forcing_ratio_one_feeds_the_truth_and_zero_the_models_own_guesses():
    m = model()
    forced = m(tr.tensor(SRC), TARGET, LENGTHS, teacher_forcing=1.0).numpy()
    np.testing.assert_allclose(forced, run_by_hand(m, lambda t, lg: TARGET[:, t]), atol=1e-6)
    free = m(tr.tensor(SRC), TARGET, LENGTHS, teacher_forcing=0.0).numpy()
    np.testing.assert_allclose(free, run_by_hand(m, lambda t, lg: lg.argmax(-1)), atol=1e-6)


def test_teacher_forcing_ratio_between_mixes_the_two():
    m = model()
    forced = m(tr.tensor(SRC), TARGET, LENGTHS, teacher_forcing=1.0).numpy()
    free = m(tr.tensor(SRC), TARGET, LENGTHS, teacher_forcing=0.0).numpy()
    tr.manual_seed(3)
    mixed = m(tr.tensor(SRC), TARGET, LENGTHS, teacher_forcing=0.5).numpy()
    assert mixed.shape == forced.shape
    assert not np.allclose(mixed, forced) or not np.allclose(mixed, free)


def test_a_padded_row_decodes_as_it_does_alone():
    m = model()
    logits = m(tr.tensor(SRC), TARGET, LENGTHS).numpy()
    alone = m(tr.tensor(SRC[1:, :3]), TARGET[1:], [3]).numpy()
    np.testing.assert_allclose(logits[1], alone[0], atol=1e-5)


def test_input_feeding_adds_the_attentional_vector_to_the_cell_input():
    assert model(input_feeding=True).decoder.cell.input_size == 3 + 5
    assert model(input_feeding=False).decoder.cell.input_size == 3


def test_greedy_stops_each_row_at_eos_or_max_len():
    m = model()
    outputs = m.greedy(tr.tensor(SRC), LENGTHS, max_len=3)
    for hyp in outputs:
        assert EOS not in hyp.tokens and len(hyp.tokens) <= 3
        assert hyp.attention.shape[0] == min(len(hyp.tokens) + 1, 3)
    assert (outputs[1].attention[:, 3] == 0).all()  # the padded source position


def test_overfits_a_tiny_batch_to_near_zero_loss():
    m = model(hidden=16)
    optimizer = Adam(m.parameters(), lr=0.02)
    src = tr.tensor(SRC)
    for _ in range(60):
        loss = m.loss(src, TARGET, LENGTHS)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.02
    assert [h.tokens for h in m.greedy(src, LENGTHS)] == [[6, 5, 4, 3], [3, 5, 6]]


def test_tokens_may_be_lists_arrays_or_tensors():
    m = model()
    from_lists = m.loss(SRC.tolist(), TARGET.tolist(), LENGTHS).item()
    from_tensors = m.loss(tr.tensor(SRC), tr.tensor(TARGET), LENGTHS).item()
    assert from_lists == pytest.approx(from_tensors)
    with pytest.raises(tr.OpError, match="Seq2Seq: tokens must be integers, got dtype float32"):
        m.loss(SRC.astype(np.float32), TARGET, LENGTHS)


def test_tokens_are_copied_to_the_models_device_from_lists_and_arrays(device):
    m = model().to(device)
    src = tr.backend.as_array(SRC, device=device)
    from_device = m.loss(src, TARGET.tolist(), LENGTHS)
    assert from_device.device == device
    assert from_device.item() == pytest.approx(m.loss(SRC.tolist(), TARGET, LENGTHS).item(), rel=1e-6)
    hyps = m.greedy(src, LENGTHS, max_len=3)
    assert [len(h.tokens) <= 3 for h in hyps] == [True, True]


def test_tokens_on_another_device_than_the_model_are_refused(device):
    if device == "cpu":
        pytest.skip("needs a second device")
    m = model().to(device)
    with pytest.raises(tr.DeviceError, match="Seq2Seq: the tokens are on cpu but the model is on cuda; move them "
                                             r"with \.to\('cuda'\)"):
        m.greedy(tr.tensor(SRC), LENGTHS)
    with pytest.raises(tr.DeviceError, match="Seq2Seq: the tokens are on cpu but the model is on cuda"):
        m.loss(tr.tensor(SRC, device=device), tr.tensor(TARGET), LENGTHS)


def test_scheduled_sampling_draws_on_the_models_device(device):
    m = model().to(device)
    tr.manual_seed(3)
    first = m.loss(SRC, TARGET, LENGTHS, teacher_forcing=0.5).item()
    tr.manual_seed(3)
    assert m.loss(SRC, TARGET, LENGTHS, teacher_forcing=0.5).item() == first


def test_beam_search_runs_on_the_models_device(device):
    m = model(cell="lstm").to(device)
    hyps = m.beam_search(SRC, LENGTHS, beam_width=3, max_len=4)
    assert len(hyps) == 2 and all(len(h.tokens) <= 4 for h in hyps)

"""The digit-string tasks: token layout, decoding, and the training entry point the tutorial calls."""

import numpy as np

from tinygrad_rnn.seq2seq.digits import (
    EOS,
    OFFSET,
    PAD,
    decode_digits,
    encode_digits,
    exact_match,
    make_digit_model,
    train_digit_task,
)


def test_encode_digits_pads_sources_and_appends_eos_to_targets():
    batch = encode_digits([np.array([4, 0, 9]), np.array([1, 3])], [np.array([9, 0, 4]), np.array([3, 1])])
    np.testing.assert_array_equal(batch.src.numpy(), [[4 + OFFSET, OFFSET, 9 + OFFSET], [1 + OFFSET, 3 + OFFSET, PAD]])
    np.testing.assert_array_equal(batch.lengths, [3, 2])
    np.testing.assert_array_equal(batch.target.numpy(), [[9 + OFFSET, OFFSET, 4 + OFFSET, EOS],
                                                         [3 + OFFSET, 1 + OFFSET, EOS, PAD]])


def test_decode_digits_marks_special_tokens():
    assert decode_digits([OFFSET + 4, OFFSET, EOS]) == "40?"


def test_training_entry_point_runs_and_reports():
    result = train_digit_task(task="sort", steps=3, batch_size=8, n_test=10, eval_every=2, log=None,
                              embed_size=8, hidden_size=8)
    assert result.steps == 3 and len(result.losses) == 3
    assert [s for s, _ in result.accuracies] == [2, 3]
    assert 0.0 <= result.accuracy <= 1.0 and result.seconds > 0


def test_training_and_exact_match_use_the_models_device(device):
    model = make_digit_model(embed_size=8, hidden_size=8).to(device)
    result = train_digit_task(steps=2, batch_size=4, n_test=6, eval_every=2, log=None, model=model)
    assert result.model is model and model.device == device and len(result.losses) == 2
    accuracy = exact_match(model, [np.array([1, 2]), np.array([3])], [np.array([2, 1]), np.array([3])])
    assert 0.0 <= accuracy <= 1.0

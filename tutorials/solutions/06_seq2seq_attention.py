"""Solutions to tutorial 6's exercises (copy one into the tutorial's exercise cell and run its check)."""

import numpy as np


def exercise_decoder_inputs(target, bos):
    inputs = np.empty_like(target)
    inputs[:, 0] = bos
    inputs[:, 1:] = target[:, :-1]
    return inputs


def exercise_masked_softmax(scores, lengths):
    padded = np.arange(scores.shape[1])[None, :] >= np.asarray(lengths)[:, None]
    scores = np.where(padded, -np.inf, scores)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))      # exp(-inf) = 0 on the padding
    return e / e.sum(axis=1, keepdims=True)


def exercise_beam_step(scores, log_probs, width):
    candidates = scores[:, None] + log_probs                  # (k, V)
    best = np.argsort(candidates, axis=None)[::-1][:width]   # flat indices, best first
    hyp, token = np.unravel_index(best, candidates.shape)
    return [(float(candidates[i, t]), int(i), int(t)) for i, t in zip(hyp, token)]

"""Worked solutions to the exercises of tutorial 4 (a character-level language model)."""

import math

import numpy as np


def exercise_temperature_probs(logits, temperature):
    z = logits / temperature
    e = np.exp(z - z.max())                     # softmax is unchanged by a shift; exp(0) cannot overflow
    return e / e.sum()


def exercise_bits_per_char(logits, targets):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))   # log_softmax
    return float(-log_p[np.arange(len(targets)), targets].mean() / math.log(2))


def exercise_streams(ids, batch, seq_len):
    n = (len(ids) - 1) // batch                  # every input needs a next character
    inputs = ids[:n * batch].reshape(batch, n)
    targets = ids[1:n * batch + 1].reshape(batch, n)
    return [(inputs[:, k * seq_len:(k + 1) * seq_len], targets[:, k * seq_len:(k + 1) * seq_len])
            for k in range(n // seq_len)]

"""Synthetic tasks whose right answers are known, so learning can be measured.

Every generator draws from the library's generator (`tr.manual_seed`) unless
an explicit `rng` (a NumPy Generator) is given, and returns host NumPy arrays.

    sine_wave         x_t = sin(2 pi t / period + phase) + noise      (n_steps,)
    adding_problem    inputs (n, T, 2), targets (n,): sum of the two marked values
    copy_task         inputs, targets (n, 2S + delay): recall S symbols after a delay
    digit_sequences   sources, targets: lists of int64 digit arrays (reversed or sorted)
    first_last_match  sequences of varying length, label 1 when the first and last symbols agree
"""

from .. import backend
from ..backend import np
from ..errors import OpError


def _rng(rng):
    return rng if rng is not None else backend.rng()


def sine_wave(n_steps, period=20.0, noise=0.0, phase=0.0, rng=None):
    """x_t = sin(2 pi t / period + phase) + noise * N(0, 1),  t = 0..n_steps-1; float64 (n_steps,)."""
    t = np.arange(n_steps, dtype=np.float64)
    x = np.sin(2 * np.pi * t / period + phase)
    if noise:
        x = x + noise * _rng(rng).standard_normal(n_steps)
    return x


def adding_problem(n, length, rng=None):
    """The adding problem (Hochreiter & Schmidhuber, 1997).

    inputs (n, length, 2) float32: channel 0 holds values from U(0, 1), channel 1
    marks exactly two steps, one in each half of the sequence; target (n,) is the
    sum of the two marked values. Predicting the mean (1.0) gives MSE 1/6 ~ 0.167,
    the bar a model must beat to show it carries information across `length` steps.
    """
    if length < 2:
        raise OpError(f"adding_problem: length must be at least 2, got {length}")
    g = _rng(rng)
    values = g.random((n, length))
    half = length // 2
    first = g.integers(0, half, size=n)
    second = g.integers(half, length, size=n)
    marks = np.zeros((n, length))
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    inputs = np.stack([values, marks], axis=-1).astype(np.float32)
    targets = (values[rows, first] + values[rows, second]).astype(np.float32)
    return inputs, targets


def copy_task(n, n_symbols=8, seq_len=10, delay=10, rng=None):
    """The copy (recall) task: read S symbols, wait, then write them back.

    Tokens: 0 = blank, 1..n_symbols = symbols, n_symbols + 1 = "go" marker.
    inputs  = [s_1..s_S, 0 x (delay - 1), go, 0 x S]   (n, 2S + delay) int64
    targets = [0 x (S + delay), s_1..s_S]               (n, 2S + delay) int64
    Only the last S target positions carry information; guessing gives accuracy
    1/n_symbols there. The number of classes is n_symbols + 2.
    """
    if delay < 1:
        raise OpError(f"copy_task: delay must be at least 1, got {delay}")
    symbols = _rng(rng).integers(1, n_symbols + 1, size=(n, seq_len))
    total = 2 * seq_len + delay
    inputs = np.zeros((n, total), dtype=np.int64)
    targets = np.zeros((n, total), dtype=np.int64)
    inputs[:, :seq_len] = symbols
    inputs[:, seq_len + delay - 1] = n_symbols + 1
    targets[:, seq_len + delay:] = symbols
    return inputs, targets


def digit_sequences(n, min_len=3, max_len=8, task="reverse", rng=None):
    """Source/target pairs of digit strings for sequence to sequence.

    sources: list of n int64 arrays of digits 0..9, lengths uniform in [min_len, max_len];
    targets: the same digits reversed (task="reverse") or sorted (task="sort").
    Exact-match accuracy by chance is about 10^-len.
    """
    if task not in ("reverse", "sort"):
        raise OpError(f"digit_sequences: task must be 'reverse' or 'sort', got {task!r}")
    if not 1 <= min_len <= max_len:
        raise OpError(f"digit_sequences: need 1 <= min_len <= max_len, got {min_len}, {max_len}")
    g = _rng(rng)
    lengths = g.integers(min_len, max_len + 1, size=n)
    sources = [g.integers(0, 10, size=int(k)).astype(np.int64) for k in lengths]
    targets = [s[::-1].copy() if task == "reverse" else np.sort(s) for s in sources]
    return sources, targets


def first_last_match(n, n_symbols=4, min_len=5, max_len=20, rng=None):
    """Variable-length classification: is the first symbol equal to the last?

    sequences: list of n int64 arrays of symbols 1..n_symbols (0 is left free for
    padding), lengths uniform in [min_len, max_len]; labels (n,) int64 in {0, 1},
    balanced. A reader from the left must carry the first symbol to the end, a
    reader from the right the last one; a bidirectional model has both fresh.
    """
    if not 2 <= min_len <= max_len or n_symbols < 2:
        raise OpError(f"first_last_match: need 2 <= min_len <= max_len and n_symbols >= 2, got min_len={min_len}, "
                         f"max_len={max_len}, n_symbols={n_symbols}")
    g = _rng(rng)
    labels = g.integers(0, 2, size=n).astype(np.int64)
    sequences = []
    for label in labels:
        seq = g.integers(1, n_symbols + 1, size=int(g.integers(min_len, max_len + 1)))
        if label:
            seq[-1] = seq[0]
        else:
            seq[-1] = 1 + (seq[0] - 1 + g.integers(1, n_symbols)) % n_symbols
        sequences.append(seq.astype(np.int64))
    return sequences, labels

"""Beam search: keep the k best partial outputs instead of only the best one.

At each step every live hypothesis y_1..y_t (score = sum of log p(y_i | y_<i, x))
is extended by every token; of the k * V candidates the k best that do not end
in EOS stay live, and those among the top k that end in EOS are finished.
A batch row stops when it has k finished hypotheses, or at max_len, where the
live ones are finished as they are. The answer is the finished hypothesis with
the best length-normalised score

    score / length ** length_penalty      (length counts the EOS; 0 = raw log-probability)

so that long outputs are not penalised merely for having more factors below 1.
With k = 1 this is greedy decoding exactly: the argmax at every step.
"""

from collections import namedtuple

from .. import backend
from ..errors import OpError
from ..tensor import Tensor

Hypothesis = namedtuple("Hypothesis", ["tokens", "score", "normalized", "attention"])
Hypothesis.__doc__ = """A decoded output: tokens (list of ints, EOS not included), score (sum of
log-probabilities, EOS included), normalized (score / length ** length_penalty; greedy decoding
leaves it equal to score), attention (host array (output steps, S): one row per step, EOS's
included when it was emitted; None for a decoder without attention)."""

NEG_INF = float("-inf")


def beam_search(step, state, batch, bos, eos, beam_width, max_len, length_penalty=1.0):
    """Run beam search over a batch; returns, per row, its finished Hypotheses best first.

    step(tokens, state) -> (log_probs, state, weights): tokens is a host int64
    array (batch * k,) holding the last token of each hypothesis (row b * k + i
    is hypothesis i of batch row b), log_probs (batch * k, V) (Tensor or
    array), weights (batch * k, S) or None. state: a tuple of Tensors whose
    rows are laid out the same way (repeat each batch row k times first);
    beam search reorders them as hypotheses are kept or dropped.
    """
    np, k = backend.np, beam_width
    if k < 1 or max_len < 1:
        raise OpError(f"beam_search: beam_width and max_len must be >= 1, got {beam_width} and {max_len}")
    scores = np.full((batch, k), NEG_INF)
    scores[:, 0] = 0.0  # the k copies of the start are one hypothesis; only the first may expand
    tokens = np.full(batch * k, bos, dtype=np.int64)
    history = []       # per step: (parent beam (batch, k), token (batch, k), attention (batch * k, S) or None)
    finished = [[] for _ in range(batch)]
    done = np.zeros(batch, dtype=bool)

    for _ in range(max_len):
        log_probs, state, weights = step(tokens, state)
        log_probs = _host(log_probs)
        weights = None if weights is None else _host(weights)
        vocab = log_probs.shape[-1]
        candidates = (scores[:, :, None] + log_probs.reshape(batch, k, vocab)).reshape(batch, k * vocab)
        best = np.argsort(-candidates, axis=1, kind="stable")[:, :2 * k]
        parents = np.zeros((batch, k), dtype=np.int64)
        chosen = np.full((batch, k), eos, dtype=np.int64)
        new_scores = np.full((batch, k), NEG_INF)
        for b in range(batch):
            if done[b]:
                continue
            kept = 0
            for rank, c in enumerate(best[b]):
                score = candidates[b, c]
                if score == NEG_INF:
                    break
                parent, token = divmod(int(c), vocab)
                if token == eos:
                    if rank < k:
                        path, attention = _backtrack(history, b, k, parent, weights)
                        finished[b].append(_hypothesis(path, score, attention, len(path) + 1, length_penalty))
                    continue
                parents[b, kept], chosen[b, kept], new_scores[b, kept] = parent, token, score
                kept += 1
                if kept == k:
                    break
            # stop only when no live hypothesis can still beat the best finished one: a score only
            # falls as tokens are added, so a live score below it stays below
            best_live = new_scores[b].max() if kept else NEG_INF
            done[b] = len(finished[b]) >= k and max(h.score for h in finished[b]) >= best_live
        if done.all():
            break
        history.append((parents, chosen, weights))
        scores = new_scores
        rows = backend.np.arange(batch)[:, None] * k + parents
        state = _reorder(state, rows.reshape(-1))
        tokens = chosen.reshape(-1)
    else:
        for b in range(batch):
            if done[b]:
                continue
            for i in range(k):
                if scores[b, i] > NEG_INF:
                    path, attention = _backtrack(history, b, k, i, None)
                    finished[b].append(_hypothesis(path, scores[b, i], attention, len(path), length_penalty))
    return [sorted(f, key=lambda h: -h.normalized) for f in finished]


def _host(x):
    return x.numpy() if isinstance(x, Tensor) else backend.to_numpy(x)


def _hypothesis(path, score, attention, length, length_penalty):
    return Hypothesis(path, float(score), float(score) / max(length, 1) ** length_penalty, attention)


def _backtrack(history, b, k, beam, last_weights):
    """Tokens (and attention rows) of live hypothesis `beam` of row b, plus the step just taken."""
    np = backend.np
    tokens, rows = [], []
    if last_weights is not None:
        rows.append(last_weights[b * k + beam])
    for parents, chosen, weights in reversed(history):
        tokens.append(int(chosen[b, beam]))
        beam = int(parents[b, beam])
        if weights is not None:
            rows.append(weights[b * k + beam])
    tokens.reverse()
    attention = np.stack(rows[::-1]) if rows and len(rows) == len(tokens) + (last_weights is not None) else None
    return tokens, attention


def _reorder(state, rows):
    return tuple(s[rows] for s in state)  # rows: a host index, range-checked on the host

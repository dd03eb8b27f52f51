"""The exercises of tutorials 5-8: every check passes its worked solution, reads an unfilled
stub as unfinished, and fails a wrong answer (so a learner's check can be trusted both ways).
The same conventions as tutorials 1-4 (tutorials/exercise_checks.py)."""

import sys
from pathlib import Path

import numpy as np
import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
sys.path.insert(0, str(TUTORIALS))

import exercise_checks  # noqa: E402  (tutorials/ is not a package)

NAMES = ["05_long_range_dependencies.py", "06_seq2seq_attention.py", "07_bidirectional_classification.py",
         "08_extending_the_engine.py"]


def _softmax(scores):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _gru_backward_without_reset_gate_path(x, h, weight_ih, weight_hh, bias_ih, bias_hh, g):
    """A hand-written GRU backward with one classic slip: r's factor on h W_hn^T + b_hn left out."""
    def sigmoid(a):
        return 1 / (1 + np.exp(-a))
    gi_r, gi_z, gi_n = np.split(x @ weight_ih.T + bias_ih, 3, axis=1)
    gh_r, gh_z, gh_n = np.split(h @ weight_hh.T + bias_hh, 3, axis=1)
    r, z = sigmoid(gi_r + gh_r), sigmoid(gi_z + gh_z)
    n = np.tanh(gi_n + r * gh_n)
    da_n = g * (1 - z) * (1 - n * n)
    da_r, da_z = da_n * gh_n * r * (1 - r), g * (h - n) * z * (1 - z)
    d_gi = np.concatenate([da_r, da_z, da_n], axis=1)
    d_gh = d_gi                                                   # the slip: should be [da_r, da_z, da_n * r]
    return d_gi @ weight_ih, g * z + d_gh @ weight_hh, d_gi.T @ x, d_gh.T @ h, d_gi.sum(0), d_gh.sum(0)


def _beam_step_without_prefix(scores, log_probs, width):
    """Ranks the continuations by the new token's log-probability alone, forgetting each prefix's score."""
    best = np.argsort(log_probs, axis=None)[::-1][:width]
    return [(float(log_probs[i, t]), i, t) for i, t in zip(*np.unravel_index(best, log_probs.shape))]


T05, T06, T07, T08 = NAMES

# one plausible mistake per exercise
WRONG = {
    (T05, "adding_batch"):                                          # markers anywhere, target zero
        lambda n, length, rng: (rng.random((n, length, 2)).astype(np.float32), np.zeros(n)),
    (T05, "clip_by_total_norm"):                                    # each element clipped: the direction changes
        lambda grads, max_norm: ([np.clip(g, -max_norm, max_norm) for g in grads],
                                 float(np.sqrt(sum((g * g).sum() for g in grads)))),
    (T05, "recall_accuracy"):                                       # counts the easy blank positions too
        lambda logits, targets, seq_len: float((logits.argmax(-1) == targets).mean()),
    (T06, "decoder_inputs"): lambda target, bos: target,            # no shift: the decoder reads the answer
    (T06, "masked_softmax"): lambda scores, lengths: _softmax(scores),   # attends to the padding too
    (T06, "beam_step"): _beam_step_without_prefix,
    (T07, "pad_batch"):                                             # repeats a sequence instead of padding it
        lambda sequences, pad: (np.array([np.resize(s, max(map(len, sequences))) for s in sequences]),
                                np.array([len(s) for s in sequences])),
    (T07, "last_output"): lambda output, lengths: output[:, -1],    # zeros for the short rows
    (T07, "join_directions"):                                       # reshape mixes the batch items
        lambda h_n: h_n.reshape(h_n.shape[1], -1)[:, -2 * h_n.shape[2]:],
    (T08, "swish_backward"): lambda x, g: g / (1 + np.exp(-x)),     # forgets x * sigmoid'(x)
    (T08, "gru_cell_backward"): _gru_backward_without_reset_gate_path,
}


@pytest.fixture(scope="module", params=NAMES)
def tutorial(request):
    return request.param, exercise_checks.load(request.param), exercise_checks.solutions(request.param)


def test_each_tutorial_ends_with_two_to_four_exercises_each_with_a_solution(tutorial):
    name, namespace, solutions = tutorial
    names = exercise_checks.exercise_names(namespace)
    assert 2 <= len(names) <= 4, names
    for n in names:
        assert callable(getattr(solutions, "exercise_" + n, None)), f"{name}: no solution for {n}"


def test_the_unfilled_stubs_read_unfinished(tutorial):
    _, namespace, _ = tutorial
    for n in exercise_checks.exercise_names(namespace):
        assert exercise_checks.status(namespace["check_" + n], namespace["exercise_" + n]) == "unfinished", n


def test_the_solutions_pass_their_checks(tutorial):
    _, namespace, solutions = tutorial
    for n in exercise_checks.exercise_names(namespace):
        assert exercise_checks.status(namespace["check_" + n], getattr(solutions, "exercise_" + n)) == "passed", n


@pytest.mark.parametrize("name, exercise", sorted(WRONG))
def test_a_wrong_answer_fails_its_check(name, exercise):
    namespace = exercise_checks.load(name)
    with np.errstate(all="ignore"):
        assert exercise_checks.status(namespace["check_" + exercise], WRONG[name, exercise]).startswith("wrong: ")


def test_every_exercise_has_a_wrong_answer_tested():
    for name in NAMES:
        for n in exercise_checks.exercise_names(exercise_checks.load(name)):
            assert (name, n) in WRONG, (name, n)


@pytest.mark.parametrize("name", NAMES)
def test_the_tutorial_works_cell_by_cell_at_top_level(name):
    """No main() to call: the work is in top-level # %% cells, so each cell shows its result when run."""
    text = (TUTORIALS / name).read_text()
    assert "def main(" not in text and "__main__" not in text
    assert text.count("\n# %%\n") >= 8


@pytest.mark.parametrize("name", NAMES)
def test_the_exercises_sit_in_cells_of_their_own_after_an_exercises_heading(name):
    text = (TUTORIALS / name).read_text()
    heading = text.index("# ## Exercises")
    assert text.index("def exercise_") > heading and "exercise_checks.run(globals())" in text[heading:]

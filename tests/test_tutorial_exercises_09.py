"""The exercises of tutorial 9: every check passes its worked solution, reads an unfilled stub
as unfinished, and fails a wrong answer (so a learner's check can be trusted both ways).
The same conventions as tutorials 1-8 (tutorials/exercise_checks.py)."""

import sys
from pathlib import Path

import numpy as np
import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
sys.path.insert(0, str(TUTORIALS))

import exercise_checks  # noqa: E402  (tutorials/ is not a package)

NAME = "09_lstm_variants.py"
SOLUTIONS = exercise_checks.solutions(NAME)


def _layer_norm_unbiased(a, weight, bias, eps):
    """Divides the squared deviations by D - 1 (np.var's ddof=1), not by D as LN does."""
    return (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, ddof=1, keepdims=True) + eps) * weight + bias


def _dropout_mask_per_step(x, p, rng):
    """Ordinary dropout: a fresh mask at every step, the noise the variational method avoids."""
    return x * (rng.random(x.shape) >= p) / (1 - p)


def _dropout_unscaled(x, p, rng):
    """One mask per sequence, but kept values not scaled up by 1 / (1 - p)."""
    return x * (rng.random(x.shape[1:]) >= p)[None]


def _step_without_cell_norm(x, h, c, params, eps):
    """The layer-normalised gates, but h_t = o * tanh(c_t): LN(c_t) left out."""
    sigmoid = SOLUTIONS._sigmoid
    p = params
    gates = (SOLUTIONS.exercise_layer_norm(x @ p["weight_ih"].T, p["ln_ih_weight"], p["ln_ih_bias"], eps)
             + SOLUTIONS.exercise_layer_norm(h @ p["weight_hh"].T, p["ln_hh_weight"], p["ln_hh_bias"], eps)
             + p["bias"])
    a_i, a_f, a_g, a_o = np.split(gates, 4, axis=1)
    c_t = sigmoid(a_f) * c + sigmoid(a_i) * np.tanh(a_g)
    return sigmoid(a_o) * np.tanh(c_t), c_t


def _step_one_norm_of_the_sum(x, h, c, params, eps):
    """One LN over x W_ih^T + h W_hh^T together (with the ih gain and shift) instead of one for each."""
    p = dict(params)
    p["weight_ih"] = np.concatenate([params["weight_ih"], params["weight_hh"]], axis=1)
    p["weight_hh"] = np.zeros_like(params["weight_hh"])
    p["ln_hh_weight"], p["ln_hh_bias"] = np.zeros_like(p["ln_hh_weight"]), np.zeros_like(p["ln_hh_bias"])
    return SOLUTIONS.exercise_layer_norm_lstm_step(np.concatenate([x, h], axis=1), h, c, p, eps)


# plausible mistakes, at least one per exercise
WRONG = {
    "layer_norm": [_layer_norm_unbiased,
                   lambda a, weight, bias, eps:                 # normalised over the batch, not each row
                   (a - a.mean(0)) / np.sqrt(a.var(0) + eps) * weight + bias],
    "variational_dropout": [_dropout_mask_per_step, _dropout_unscaled],
    "layer_norm_lstm_step": [_step_without_cell_norm, _step_one_norm_of_the_sum],
}


@pytest.fixture(scope="module")
def namespace():
    return exercise_checks.load(NAME)


def test_the_tutorial_ends_with_two_to_four_exercises_each_with_a_solution(namespace):
    names = exercise_checks.exercise_names(namespace)
    assert names == ["layer_norm", "variational_dropout", "layer_norm_lstm_step"]
    for n in names:
        assert callable(getattr(SOLUTIONS, "exercise_" + n, None)), f"no solution for {n}"


def test_the_unfilled_stubs_read_unfinished(namespace):
    for n in exercise_checks.exercise_names(namespace):
        assert exercise_checks.status(namespace["check_" + n], namespace["exercise_" + n]) == "unfinished", n


def test_the_solutions_pass_their_checks(namespace):
    for n in exercise_checks.exercise_names(namespace):
        assert exercise_checks.status(namespace["check_" + n], getattr(SOLUTIONS, "exercise_" + n)) == "passed", n


@pytest.mark.parametrize("exercise, k", [(n, k) for n, fns in WRONG.items() for k in range(len(fns))])
def test_a_wrong_answer_fails_its_check(namespace, exercise, k):
    with np.errstate(all="ignore"):
        status = exercise_checks.status(namespace["check_" + exercise], WRONG[exercise][k])
    assert status.startswith("wrong: "), status


def test_every_exercise_has_a_wrong_answer_tested(namespace):
    assert set(exercise_checks.exercise_names(namespace)) == set(WRONG)


def test_the_tutorial_works_cell_by_cell_at_top_level():
    text = (TUTORIALS / NAME).read_text()
    assert "def main(" not in text and "__main__" not in text
    assert text.count("\n# %%\n") >= 8


def test_the_exercises_sit_in_cells_of_their_own_after_an_exercises_heading():
    text = (TUTORIALS / NAME).read_text()
    heading = text.index("# ## Exercises")
    assert text.index("def exercise_") > heading and "exercise_checks.run(globals())" in text[heading:]
    assert text.index("# ## Pitfall") < heading


@pytest.mark.slow
def test_the_quick_run_reports_the_exercises_unfinished_and_shows_the_pitfall(tmp_path):
    from test_tutorials import run_tutorial
    r, out = run_tutorial(NAME, tmp_path)
    assert r["exercises"] == dict.fromkeys(["layer_norm", "variational_dropout", "layer_norm_lstm_step"],
                                           "unfinished")
    assert "exercise layer_norm: unfinished" in out
    pitfall = r["masks_on_vs_off"]
    assert len(set(pitfall["train_mode_bits"])) == 3             # new masks, a new loss, at every call
    assert pitfall["eval_mode_bits"][0] == pitfall["eval_mode_bits"][1]
    assert pitfall["eval_vs_lstm_max_diff"] < 1e-5               # eval mode is nn.LSTM with the same weights

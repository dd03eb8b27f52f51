"""The exercises of tutorials 1-4: every check passes its worked solution, reads an unfilled
stub as unfinished, and fails a wrong answer (so a learner's check can be trusted both ways)."""

import sys
from pathlib import Path

import numpy as np
import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
sys.path.insert(0, str(TUTORIALS))

import exercise_checks  # noqa: E402  (tutorials/ is not a package)

NAMES = ["01_tensors_and_autograd.py", "02_rnn_and_bptt.py", "03_sunspots_forecasting.py",
         "04_char_language_model.py"]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _relu_bptt_one_step(xs, W_ih, W_hh, b):
    """Backpropagates through the last step only (forgets that h_{T-1} depends on W_hh too)."""
    h = np.zeros((xs.shape[1], W_hh.shape[0]))
    for x in xs[:-1]:
        h = np.maximum(x @ W_ih.T + b + h @ W_hh.T, 0)
    da = (xs[-1] @ W_ih.T + b + h @ W_hh.T > 0).astype(float)
    return da.T @ xs[-1], da.T @ h, da.sum(axis=0)


def _set_input_gate_bias(lstm, value):
    import tinygrad_rnn as tr
    with tr.no_grad():
        lstm.bias_ih_l0[:lstm.hidden_size] = value
        lstm.bias_hh_l0[:lstm.hidden_size] = 0.0


def _lstm_cell_gates_ifog(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """The gates read in the order i, f, o, g (another library's) instead of PyTorch's i, f, g, o."""
    i, f, o, g = np.split(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh, 4, axis=1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c), c


def _nats_per_char(logits, targets):
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(targets)), targets].mean())


def _random_windows(ids, batch, seq_len):
    rng = np.random.default_rng(0)
    n = (len(ids) - 1) // batch // seq_len
    out = []
    for _ in range(n):
        starts = rng.integers(0, len(ids) - seq_len - 1, size=batch)
        index = starts[:, None] + np.arange(seq_len)
        out.append((ids[index], ids[index + 1]))
    return out


# one plausible mistake per exercise
WRONG = {
    ("01_tensors_and_autograd.py", "sum_to_shape"): lambda grad, shape: np.resize(grad, shape),
    ("01_tensors_and_autograd.py", "sigmoid_backward"): lambda x, g: g * _sigmoid(x),
    ("01_tensors_and_autograd.py", "numerical_gradient"):
        lambda f, x, eps=1e-6: np.array([(f(x + eps) - f(x)) / eps] * x.size).reshape(x.shape),
    ("02_rnn_and_bptt.py", "step_jacobian"): lambda h, W: (1 - h ** 2)[None, :] * W,     # diag on the wrong side
    ("02_rnn_and_bptt.py", "relu_bptt"): lambda xs, W_ih, W_hh, b: _relu_bptt_one_step(xs, W_ih, W_hh, b),
    ("02_rnn_and_bptt.py", "set_forget_bias"): _set_input_gate_bias,                   # rows 0:H, not H:2H
    ("03_sunspots_forecasting.py", "sliding_windows"):                                  # target inside the window
        lambda s, w: (np.stack([s[i:i + w] for i in range(len(s) - w)]), s[w - 1:len(s) - 1]),
    ("03_sunspots_forecasting.py", "lstm_cell"): _lstm_cell_gates_ifog,
    ("03_sunspots_forecasting.py", "early_stopping"):                                   # looks into the future
        lambda losses, patience: (int(np.argmin(losses)), len(losses) - 1),
    ("04_char_language_model.py", "temperature_probs"):                                # overflows at 1000
        lambda z, t: np.exp(z / t) / np.exp(z / t).sum(),
    ("04_char_language_model.py", "bits_per_char"): _nats_per_char,                     # forgets the / ln 2
    ("04_char_language_model.py", "streams"): _random_windows,                           # rows do not continue
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
    with np.errstate(all="ignore"):    # some wrong answers overflow, which is the point
        assert exercise_checks.status(namespace["check_" + exercise], WRONG[name, exercise]).startswith("wrong: ")


def test_every_exercise_has_a_wrong_answer_tested():
    for name in NAMES:
        for n in exercise_checks.exercise_names(exercise_checks.load(name)):
            assert (name, n) in WRONG, (name, n)


def test_a_crashing_answer_reads_wrong_with_its_error():
    def check(fn):
        fn()
    assert exercise_checks.status(check, lambda: 1 / 0) == "wrong: ZeroDivisionError: division by zero"
    assert exercise_checks.status(check, lambda: (_ for _ in ()).throw(NotImplementedError("mine"))) \
        == "wrong: NotImplementedError: mine"


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

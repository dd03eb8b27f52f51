"""The exercises of tutorials 1-4: every check passes its worked solution, reports an unfilled
stub as not done, and fails a wrong answer (so a learner's check can be trusted both ways).

A tutorial's exercise is `exercise_<name>` (raising NotImplementedError("exercise") until
filled in) beside `check_<name>(fn)`, which returns True on a right answer, prints "not done
yet" and returns False on the stub, and raises AssertionError on a wrong answer. Solutions
live in tutorials/solutions/<the tutorial's file name>. The checks use only the tutorial's
imports and definitions, so these tests load those without running the training cells.
"""

import ast
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
NAMES = ["01_tensors_and_autograd.py", "02_rnn_and_bptt.py", "03_sunspots_forecasting.py",
         "04_char_language_model.py"]


def definitions(name):
    """The tutorial's imports, functions and classes, run in a fresh namespace (no training cell)."""
    path = TUTORIALS / name
    tree = ast.parse(path.read_text(), str(path))
    kept = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
    namespace = {"__name__": f"tutorial_{path.stem}"}
    sys.path.insert(0, str(TUTORIALS))             # `import common`
    try:
        exec(compile(ast.Module(kept, []), str(path), "exec"), namespace)
    finally:
        sys.path.remove(str(TUTORIALS))
    return namespace


def solutions(name):
    path = TUTORIALS / "solutions" / name
    spec = importlib.util.spec_from_file_location(f"solutions_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exercise_names(namespace):
    return [k[len("exercise_"):] for k in namespace if k.startswith("exercise_")]


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
    return request.param, definitions(request.param), solutions(request.param)


def test_each_tutorial_ends_with_two_to_four_exercises_each_with_a_check_and_a_solution(tutorial):
    name, namespace, solved = tutorial
    names = exercise_names(namespace)
    assert 2 <= len(names) <= 4, names
    for n in names:
        assert callable(namespace.get("check_" + n)), f"{name}: exercise_{n} has no check_{n}"
        assert callable(getattr(solved, "exercise_" + n, None)), f"{name}: no solution for {n}"


def test_the_unfilled_stubs_are_reported_not_done(tutorial, capsys):
    _, namespace, _ = tutorial
    for n in exercise_names(namespace):
        assert namespace["check_" + n](namespace["exercise_" + n]) is False, n
        assert f"exercise {n}: not done yet" in capsys.readouterr().out


def test_the_solutions_pass_their_checks(tutorial, capsys):
    _, namespace, solved = tutorial
    for n in exercise_names(namespace):
        assert namespace["check_" + n](getattr(solved, "exercise_" + n)) is True, n
        assert f"exercise {n}: passed" in capsys.readouterr().out


@pytest.mark.parametrize("name, exercise", sorted(WRONG))
def test_a_wrong_answer_fails_its_check(name, exercise):
    check = definitions(name)["check_" + exercise]
    with np.errstate(all="ignore"), pytest.raises(AssertionError, match=exercise):   # some wrong answers overflow
        check(WRONG[name, exercise])


def test_every_exercise_has_a_wrong_answer_tested():
    for name in NAMES:
        for n in exercise_names(definitions(name)):
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
    assert text.index("def exercise_") > heading
    for n in exercise_names(definitions(name)):
        assert f'results["exercises"]["{n}"] = check_{n}(exercise_{n})' in text[heading:], n

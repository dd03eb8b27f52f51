"""The tutorials' exercises: every check passes its solution, reports a stub unfinished, and fails a wrong answer.

A tutorial's exercise is `exercise_<name>` (raising NotImplementedError("exercise")
until filled in) beside `check_<name>(fn)`, which returns True on a right answer,
prints "not done yet" and returns False on the stub, and raises AssertionError
on a wrong answer. Solutions live in tutorials/solutions/<the tutorial's file name>.
The checks use only the tutorial's definitions, so the test loads those (imports,
functions, classes, constants) without running the training cells.
"""

import ast
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
SOLUTIONS = TUTORIALS / "solutions"


def definitions(path):
    """The tutorial's imports, functions, classes and constant assignments, run in a fresh namespace."""
    tree = ast.parse(path.read_text(), str(path))
    kept = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))
            or isinstance(node, ast.Assign) and _is_constant(node.value)]
    namespace = {"__name__": f"tutorial_{path.stem}", "__doc__": ast.get_docstring(tree)}
    sys.path.insert(0, str(TUTORIALS))
    try:
        exec(compile(ast.Module(kept, []), str(path), "exec"), namespace)
    finally:
        sys.path.remove(str(TUTORIALS))
    return namespace


def _is_constant(value):
    try:
        ast.literal_eval(value)
    except ValueError:
        return False
    return True


def solutions(path):
    spec = importlib.util.spec_from_file_location(f"solution_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exercises():
    found = []
    for path in sorted(TUTORIALS.glob("[0-9][0-9]_*.py")):
        names = [n.name[len("exercise_"):] for n in ast.parse(path.read_text()).body
                 if isinstance(n, ast.FunctionDef) and n.name.startswith("exercise_")]
        found += [pytest.param(path, name, id=f"{path.stem[:2]}-{name}") for name in names]
    return found


EXERCISES = exercises()


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


# A plausible wrong answer per exercise: the check must catch it.
WRONG = {
    "adding_batch": lambda n, length, rng: (rng.random((n, length, 2)).astype(np.float32), np.zeros(n)),
    "clip_by_total_norm": lambda grads, max_norm: ([np.clip(g, -max_norm, max_norm) for g in grads],
                                                   float(np.sqrt(sum((g * g).sum() for g in grads)))),
    "recall_accuracy": lambda logits, targets, seq_len: float((logits.argmax(-1) == targets).mean()),
    "decoder_inputs": lambda target, bos: target,                                   # no shift: reads the answer
    "masked_softmax": lambda scores, lengths: _softmax(scores),                      # attends to the padding too
    "beam_step": lambda scores, log_probs, width: [                                  # forgets the prefix's score
        (float(log_probs[i, t]), i, t) for i, t in zip(*np.unravel_index(np.argsort(log_probs, axis=None)[::-1][:width],
                                                                        log_probs.shape))],
    "pad_batch": lambda sequences, pad: (np.array([np.resize(s, max(map(len, sequences))) for s in sequences]),
                                         np.array([len(s) for s in sequences])),     # repeats instead of padding
    "last_output": lambda output, lengths: output[:, -1],                            # zeros for the short rows
    "join_directions": lambda h_n: h_n.reshape(h_n.shape[1], -1)[:, -2 * h_n.shape[2]:],  # mixes batch items
    "swish_backward": lambda x, g: g / (1 + np.exp(-x)),                              # forgets x * sigmoid'(x)
    "gru_cell_backward": _gru_backward_without_reset_gate_path,
}


def test_tutorials_from_five_on_have_two_to_four_exercises():
    per_tutorial = {}
    for param in EXERCISES:
        path, name = param.values
        per_tutorial.setdefault(path.stem, []).append(name)
    for path in sorted(TUTORIALS.glob("0[5-8]_*.py")):
        assert 2 <= len(per_tutorial.get(path.stem, [])) <= 4, f"{path.name}: {per_tutorial.get(path.stem)}"


@pytest.mark.parametrize("path,name", EXERCISES)
def test_each_exercise_has_a_check_and_a_solution(path, name):
    assert callable(definitions(path).get(f"check_{name}")), f"{path.name} has exercise_{name} but no check_{name}"
    solution = SOLUTIONS / path.name
    assert solution.exists(), f"no solutions file {solution.relative_to(ROOT)}"
    assert callable(getattr(solutions(solution), f"exercise_{name}", None)), f"{solution.name} lacks exercise_{name}"


@pytest.mark.parametrize("path,name", EXERCISES)
def test_the_stub_is_reported_not_done(path, name, capsys):
    tutorial = definitions(path)
    with pytest.raises(NotImplementedError, match="exercise"):
        _call_stub(tutorial[f"exercise_{name}"])
    assert tutorial[f"check_{name}"](tutorial[f"exercise_{name}"]) is False
    assert "not done yet" in capsys.readouterr().out


@pytest.mark.parametrize("path,name", EXERCISES)
def test_the_solution_passes_its_check(path, name, capsys):
    check = definitions(path)[f"check_{name}"]
    assert check(getattr(solutions(SOLUTIONS / path.name), f"exercise_{name}")) is True
    assert f"exercise {name}: passed" in capsys.readouterr().out


@pytest.mark.parametrize("path,name", [p for p in EXERCISES if p.values[1] in WRONG])
def test_a_wrong_answer_fails_its_check(path, name):
    with pytest.raises(AssertionError):
        definitions(path)[f"check_{name}"](WRONG[name])


def test_every_exercise_with_a_check_has_a_wrong_answer_here():
    names = {p.values[1] for p in EXERCISES if p.values[0].name[:2] in ("05", "06", "07", "08")}
    assert names <= set(WRONG), f"add wrong answers for {sorted(names - set(WRONG))}"


def _softmax(scores):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _call_stub(fn):
    """Call a stub with as many dummy arguments as it takes: it must raise before using them."""
    import inspect
    return fn(*[None] * len(inspect.signature(fn).parameters))

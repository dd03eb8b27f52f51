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
}


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

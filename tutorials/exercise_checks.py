"""The exercises at the end of a tutorial: each `exercise_<name>` checked by its `check_<name>`.

An exercise is a function the learner fills in; until then it raises
NotImplementedError("exercise"). Its check calls it on known inputs and raises
AssertionError, saying what was expected, on a wrong answer:

    results = exercise_checks.run(globals())    {name: "passed" | "unfinished" | "wrong: ..."}

Worked solutions live in tutorials/solutions/<the tutorial's file name>.py and
define the same `exercise_<name>` functions. The tests run every check on its
solution (it must pass), on its stub (it must read "unfinished") and on a wrong
answer (it must fail). They load a tutorial's exercises without running the
tutorial: its first code cell (imports only) and every code cell that defines an
exercise or a check, which therefore need nothing else from the tutorial.
"""

import importlib.util
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
_CELL = re.compile(r"^# %%.*$", re.M)


def status(check, exercise):
    """"passed", "unfinished" (the stub still raises NotImplementedError("exercise")) or "wrong: <why>"."""
    try:
        check(exercise)
    except NotImplementedError as e:
        if str(e) == "exercise":
            return "unfinished"
        return f"wrong: NotImplementedError: {e}"
    except AssertionError as e:
        return f"wrong: {e}"
    except Exception as e:  # a learner's bug is a wrong answer, not a crash of the tutorial
        return f"wrong: {type(e).__name__}: {e}"
    return "passed"


def exercise_names(namespace):
    """The names <name> of every exercise_<name> that has a check_<name>, in definition order."""
    return [k[len("exercise_"):] for k, v in namespace.items()
            if k.startswith("exercise_") and callable(v) and callable(namespace.get("check_" + k[len("exercise_"):]))]


def run(namespace):
    """Check every exercise in `namespace` (a tutorial's globals()), print one line each, return the statuses."""
    results = {}
    for name in exercise_names(namespace):
        results[name] = status(namespace["check_" + name], namespace["exercise_" + name])
        print(f"exercise {name}: {results[name]}")
    unfinished = sum(s == "unfinished" for s in results.values())
    if unfinished:
        print(f"({unfinished} to do: fill in each exercise_... function and run this cell again; "
              "worked solutions are in tutorials/solutions/)")
    return results


def solutions(tutorial):
    """The solutions module of a tutorial (its file name, e.g. "01_tensors_and_autograd.py")."""
    path = HERE / "solutions" / Path(tutorial).name
    spec = importlib.util.spec_from_file_location(f"solutions_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(tutorial):
    """A tutorial's exercises and checks without running the tutorial: its first code cell
    (the imports) and the code cells defining `exercise_...` or `check_...`, executed in order."""
    path = HERE / Path(tutorial).name
    text = path.read_text()
    starts = [m.start() for m in _CELL.finditer(text)] + [len(text)]
    cells = [text[a:b] for a, b in zip(starts, starts[1:])]
    code = [c for c in cells if not c.startswith("# %% [markdown]")]
    chosen = code[:1] + [c for c in code[1:] if re.search(r"^def (exercise|check)_", c, re.M)]
    namespace = {"__name__": f"exercises_{path.stem}", "__file__": str(path)}
    exec(compile("".join(chosen), str(path), "exec"), namespace)
    return namespace

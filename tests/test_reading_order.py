"""docs/reading_order.md names files and functions that exist, in the order the issue gives."""

import ast
import builtins
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reading_order.md"


def stops():
    """[(files, names)] from each '## n. `file` and `file`: `name`, `name` (...)' heading."""
    found = []
    for line in DOC.read_text().splitlines():
        m = re.match(r"^## \d+\. (.*?): (.*) \(\d+ minutes\)$", line)
        if m:
            found.append((re.findall(r"`([^`]+)`", m.group(1)), re.findall(r"`([^`]+)`", m.group(2))))
    return found


def defined_names(path):
    tree = ast.parse((ROOT / path).read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def test_the_stops_follow_the_engine_from_tensor_to_drawing():
    firsts = [files[0] for files, _ in stops()]
    assert firsts == ["tinygrad_rnn/tensor.py", "tinygrad_rnn/autograd.py", "tinygrad_rnn/ops/arithmetic.py",
                      "tinygrad_rnn/nn/lstm.py", "tinygrad_rnn/bptt/lstm.py", "tinygrad_rnn/optim/optimizer.py",
                      "tinygrad_rnn/viz/graph.py"]


def test_every_function_a_stop_names_is_defined_in_its_files():
    for files, names in stops():
        defined = set().union(*(defined_names(f) for f in files))
        missing = [n for n in names if n not in defined]
        assert not missing, f"{files}: {missing} not defined there"


def test_every_file_and_name_in_the_text_exists():
    text = DOC.read_text()
    for path in set(re.findall(r"`((?:tinygrad_rnn|tests)/[\w/]+\.py)`", text)):
        assert (ROOT / path).is_file(), path
    source = "\n".join(p.read_text() for p in (ROOT / "tinygrad_rnn").rglob("*.py"))
    names = {n for n in re.findall(r"`([A-Za-z_]\w*)`", text)
             if ("_" in n or n[0].isupper()) and not hasattr(builtins, n)}
    assert {"_accumulate_leaf", "sum_to_shape", "_time_rulers", "step_gradient_norms"} <= names
    for name in names:   # a def, a class, or an attribute the engine sets or reads
        assert re.search(rf"(def |class |\.){name}\b", source), name
    assert text.count("\nQuestion") == len(stops())   # every stop ends with a question

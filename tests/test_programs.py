"""The programs in tests/programs/ run unchanged under this library and, with only their
import lines changed, under PyTorch; the losses agree (float64, the same starting weights)."""

import re
from pathlib import Path

import numpy as np
import pytest

PROGRAMS = sorted(p for p in (Path(__file__).parent / "programs").glob("*.py"))
IMPORT_LINE = re.compile(r"^(import|from) tinygrad_rnn\b", re.MULTILINE)


def run(path, library):
    """Execute a program's source with its imports naming `library`; returns main()'s losses."""
    source = path.read_text()
    assert IMPORT_LINE.search(source), f"{path.name} does not import tinygrad_rnn"
    if library == "torch":
        import torch
        torch.set_num_threads(1)  # the programs are tiny; threads only contend with the other tests
        source = "\n".join(re.sub(r"\btinygrad_rnn\b", "torch", line) if IMPORT_LINE.match(line) else line
                           for line in source.splitlines())
    namespace = {"__name__": f"program_{path.stem}"}
    exec(compile(source, str(path), "exec"), namespace)
    return np.array(namespace["main"]())


def test_there_are_at_least_six_programs():
    assert len(PROGRAMS) >= 6


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_losses_match_pytorch(path):
    pytest.importorskip("torch")
    ours, theirs = run(path, "tinygrad_rnn"), run(path, "torch")
    assert ours.shape == theirs.shape and len(ours) >= 3
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_learns(path):
    losses = run(path, "tinygrad_rnn")
    assert losses[-1] < losses[0]

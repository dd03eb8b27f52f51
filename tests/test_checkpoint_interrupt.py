"""A save killed at any moment leaves the previous checkpoint loadable and intact.

A child process saves a 32 MB state dict to the same path over and over, each
generation g filling every array with its own value (g * 100 + i); the test kills
it with SIGKILL at random moments, before its first save completes and in the
middle of later ones, then loads the path. tr.save writes a temporary file beside
the target and moves it over with os.replace, so the path must hold one whole
generation, the last one the child reported or the one after it (moved in place
just before the kill), never a mixture and never a torn file. A killed process
cannot remove its temporary file: where the system has unnamed temporary files
there is none to remove, and elsewhere the next save to the same name removes
the files of processes that have died, so killed saves never pile up."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tinygrad_rnn as tr

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

ROOT = Path(__file__).resolve().parents[1]
ARRAYS, SIZE = 8, 1_000_000  # 8 float32 arrays of 4 MB: one save takes about 0.1 s

CHILD = f"""
import sys
import numpy as np
import tinygrad_rnn as tr
path = sys.argv[1]
print("ready", flush=True)
g = 0
while True:
    state = {{"generation": g, "weights": {{f"w{{i}}": tr.tensor(np.full({SIZE}, g * 100 + i, np.float32))
                                          for i in range({ARRAYS})}}}}
    tr.save(state, path)
    print("saved", g, flush=True)
    g += 1
"""


def start_saver(path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout.readline().strip() == "ready"
    return child


def kill(child):
    child.send_signal(signal.SIGKILL)
    rest = child.communicate(timeout=30)[0]
    assert child.returncode == -signal.SIGKILL
    return rest


def saved_generations(lines):
    return [int(line.split()[1]) for line in lines.splitlines() if line.startswith("saved")]


def assert_one_whole_generation(path):
    state = tr.load(path)
    g = state["generation"]
    assert sorted(state["weights"]) == [f"w{i}" for i in range(ARRAYS)]
    for i in range(ARRAYS):
        data = state["weights"][f"w{i}"].numpy()
        assert data.shape == (SIZE,) and data.dtype == np.float32
        assert (data == g * 100 + i).all(), f"array w{i} of generation {g} holds other values"
    return g


def test_save_killed_before_the_first_one_completes_leaves_no_torn_file(tmp_path):
    path = tmp_path / "model.ckpt"
    child = start_saver(path)
    time.sleep(random.Random(0).uniform(0.0, 0.05))  # inside the first save
    done = saved_generations(kill(child))
    if not done:
        assert not path.exists() or assert_one_whole_generation(path) == 0
    else:
        assert assert_one_whole_generation(path) in (done[-1], done[-1] + 1)


def test_save_killed_at_random_moments_leaves_the_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "model.ckpt"
    delays = random.Random(1).sample([i * 0.02 for i in range(25)], 5)  # 0 to 0.5 s: every phase of a save
    for delay in delays:
        child = start_saver(path)
        first = child.stdout.readline()
        assert first.startswith("saved")
        time.sleep(delay)
        done = saved_generations(first + kill(child))
        assert assert_one_whole_generation(path) in (done[-1], done[-1] + 1)
        leftovers = [p.name for p in tmp_path.iterdir() if p != path]
        assert len(leftovers) <= 1, leftovers  # at most the last killed save's: each save removed the ones before
        assert all(name.startswith(f".model.ckpt.{child.pid}-") and name.endswith(".tmp") for name in leftovers)
    tr.save({"generation": -1, "weights": {}}, path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.ckpt"]

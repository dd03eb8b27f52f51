"""The demo: `tinygrad-rnn demo` trains a character LSTM, samples, and writes its files."""

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import demo

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--steps", "3", "--hidden", "16", "--seq-len", "8", "--batch-size", "4", "--sample-chars", "12"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One tiny run shared by the file checks: (exit code, stdout, output folder)."""
    out = tmp_path_factory.mktemp("demo")
    buffer = io.StringIO()
    saved, sys.stdout = sys.stdout, buffer
    try:
        code = demo.main(TINY + ["--out", str(out)])
    finally:
        sys.stdout = saved
    return code, buffer.getvalue(), out


def test_demo_exits_zero(demo_run):
    assert demo_run[0] == 0


def test_demo_prints_text_sampled_before_and_after_training(demo_run):
    _, printed, _ = demo_run
    assert "sampled before training" in printed and "sampled after 3 steps" in printed
    assert "bits/char" in printed


def test_demo_writes_the_loss_curve_as_csv(demo_run):
    lines = (demo_run[2] / "loss.csv").read_text().splitlines()
    assert lines[0] == "step,loss" and len(lines) == 4
    assert float(lines[-1].split(",")[1]) > 0


def test_demo_writes_the_loss_curve_as_png_when_matplotlib_is_installed(demo_run):
    pytest.importorskip("matplotlib")
    assert (demo_run[2] / "loss.png").stat().st_size > 0


def test_demo_writes_the_unrolled_graph_with_one_cluster_per_step(demo_run):
    source = (demo_run[2] / "unrolled.dot").read_text()
    assert "cluster" in source and "t=0" in source and "t=2" in source


def test_demo_draws_the_graph_as_svg_when_graphviz_is_installed(demo_run):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    assert (demo_run[2] / "unrolled.svg").read_text().lstrip().startswith(("<?xml", "<svg"))


def test_demo_writes_the_graph_page_beside_the_svg_and_says_where_it_is(demo_run):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    _, printed, out = demo_run
    page = out / "graph.html"
    assert (out / "unrolled.svg").exists() and page.read_text().lstrip().lower().startswith("<!doctype html")
    assert f"open {page.resolve()} in a browser" in printed
    assert "tutorials/*.ipynb" in printed


def test_demo_says_what_the_graph_page_needs_when_dot_is_missing(tmp_path):
    message = demo.next_steps(tmp_path, [tmp_path / "loss.csv", tmp_path / "unrolled.dot"])
    assert "graph.html were not written: they need Graphviz's dot program" in message
    assert "tutorials/*.ipynb" in message


def test_demo_refuses_cuda_with_a_clear_message_when_it_is_missing(tmp_path, capsys):
    if tr.cuda_available():
        pytest.skip("CUDA is available here")
    code = demo.main(TINY + ["--device", "cuda", "--out", str(tmp_path)])
    assert code != 0
    assert "--device cuda was asked for, but" in capsys.readouterr().err


def test_demo_rejects_zero_steps(tmp_path, capsys):
    assert demo.main(["--steps", "0", "--out", str(tmp_path)]) != 0
    assert "--steps must be at least 1" in capsys.readouterr().err


def test_progress_bar_shows_loss_and_speed():
    stream = io.StringIO()
    bar = demo.Progress(total=2, chars_per_step=100, stream=stream)
    bar.update(2, 1.25)
    line = stream.getvalue()
    assert "step 2/2" in line and "loss 1.250" in line and "steps/s" in line and "chars/s" in line


def test_python_m_tinygrad_rnn_demo_runs_from_the_command_line(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-m", "tinygrad_rnn", "demo", *TINY, "--out", str(tmp_path / "cli")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "cli" / "loss.csv").exists()
    assert "step 3/3" in proc.stderr

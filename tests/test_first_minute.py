"""A new user's first minute: the demo's speed does not depend on luck, a missing optional tool
costs one line saying which file was skipped and how to get it, and tr.data imports like tr.nn."""

import configparser
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_rnn import demo, viz
from tinygrad_rnn.viz import command

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--steps", "2", "--hidden", "8", "--seq-len", "6", "--batch-size", "2", "--sample-chars", "4"]


def test_threadpoolctl_is_a_dependency_so_the_blas_limit_always_applies():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    requires = cfg["options"]["install_requires"].split()
    assert any(r.startswith("threadpoolctl") for r in requires)


def blas_thread_counts():
    from threadpoolctl import threadpool_info
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_the_demo_runs_blas_on_the_threads_asked_for():
    pytest.importorskip("threadpoolctl")
    if not blas_thread_counts():
        pytest.skip("NumPy's BLAS is not one threadpoolctl can see")
    before = blas_thread_counts()
    with demo.blas_threads(1):
        assert set(blas_thread_counts()) == {1}
    assert blas_thread_counts() == before                 # restored when the demo ends
    with demo.blas_threads(0):                            # 0: BLAS keeps its own default
        assert blas_thread_counts() == before


def test_threads_below_zero_are_refused_with_a_message(capsys):
    assert demo.main(TINY + ["--threads", "-1"]) == 2
    assert "--threads must be 0 (BLAS's default) or more, got -1" in capsys.readouterr().err


def test_without_matplotlib_the_loss_figure_is_skipped_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)   # import matplotlib raises ImportError
    written = demo.write_loss_curve(tmp_path, [2.0, 1.5])
    printed = capsys.readouterr().out.splitlines()
    assert [p.name for p in written] == ["loss.csv"] and not (tmp_path / "loss.png").exists()
    assert printed == ["skipped loss.png: matplotlib is not installed (pip install matplotlib, or pip install "
                       "tinygrad_rnn[plot]); loss.csv holds the same curve"]


def test_without_dot_the_demo_skips_the_svg_and_the_page_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(viz, "dot_available", lambda: False)
    assert demo.main(TINY + ["--out", str(tmp_path)]) == 0
    out = capsys.readouterr()
    skipped = [line for line in out.out.splitlines() if line.startswith("skipped")]
    assert skipped == ["skipped unrolled.svg and graph.html: Graphviz's `dot` is not installed (apt-get install "
                       "graphviz or brew install graphviz); unrolled.dot was written: dot -Tsvg unrolled.dot -o "
                       "unrolled.svg"]
    assert (tmp_path / "unrolled.dot").exists() and not (tmp_path / "unrolled.svg").exists()
    assert "Traceback" not in out.err and "Warning" not in out.err


def run_graph(argv, tmp_path):
    import argparse
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return command.run(parser.parse_args(argv + ["--steps", "2"]))


@pytest.mark.parametrize("name, instead", [("g.svg", "g.dot"), ("g.html", "g.dot")])
def test_without_dot_the_graph_command_says_in_one_line_what_it_wrote_instead(name, instead, tmp_path, monkeypatch,
                                                                            capsys, recwarn):
    monkeypatch.setattr(command, "dot_available", lambda: False)
    monkeypatch.setattr(sys.modules["tinygrad_rnn.viz.render"], "dot_available", lambda: False)
    assert run_graph(["-o", str(tmp_path / name)], tmp_path) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"skipped {tmp_path / name}: Graphviz's `dot` is not installed (apt-get install graphviz or "
                       f"brew install graphviz); wrote {tmp_path / instead} instead"]
    assert (tmp_path / instead).exists() and not recwarn.list


def test_without_matplotlib_the_graph_command_skips_the_norm_plot_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert run_graph(["-o", str(tmp_path / "g.dot"), "--plot-norms", str(tmp_path / "n.png")], tmp_path) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == (f"skipped {tmp_path / 'n.png'}: matplotlib is not installed (pip install matplotlib, or "
                           "pip install tinygrad_rnn[plot])")
    assert not (tmp_path / "n.png").exists()


def test_tr_data_imports_like_tr_nn_and_tr_optim():
    code = ("import tinygrad_rnn as tr; "
            "print(tr.data.sine_wave.__module__, tr.nn.LSTM.__module__, tr.optim.Adam.__module__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.split() == ["tinygrad_rnn.data.synthetic", "tinygrad_rnn.nn.lstm", "tinygrad_rnn.optim.adam"]

"""Rendering with and without Graphviz's `dot`, the `tinygrad-rnn graph` command, the gradient-norm plot."""

import sys
import warnings

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.cli import main
from tinygrad_rnn.viz import GraphvizMissingWarning, dot_available, draw_graph, plot_grad_norms, render
from tinygrad_rnn.viz.command import compare_models

needs_dot = pytest.mark.skipif(not dot_available(), reason="Graphviz's dot is not installed")


@pytest.fixture
def graph():
    model = nn.RNN(3, 4, impl="composite")
    output, _ = model(tr.randn(3, 2, 3))
    return draw_graph(output.sum(), params=model)


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """Hide every executable, dot included, as on a machine without Graphviz."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert not dot_available()


@needs_dot
def test_render_writes_svg_through_dot(graph, tmp_path):
    path = render(graph, tmp_path / "rnn.svg")
    assert path == str(tmp_path / "rnn.svg")
    text = (tmp_path / "rnn.svg").read_text()
    assert "<svg" in text and "weight_hh_l0" in text


@needs_dot
@pytest.mark.parametrize("ext, magic", [("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_render_writes_png_and_pdf(graph, tmp_path, ext, magic):
    render(graph, tmp_path / f"rnn.{ext}")
    assert (tmp_path / f"rnn.{ext}").read_bytes().startswith(magic)


def test_render_without_dot_writes_the_dot_file_and_says_how_to_install(graph, tmp_path, no_dot):
    with pytest.warns(GraphvizMissingWarning, match=r"apt-get install graphviz, brew install graphviz") as caught:
        path = render(graph, tmp_path / "rnn.svg")
    assert len(caught) == 1 and "\n" not in str(caught[0].message)
    assert path == str(tmp_path / "rnn.dot")
    assert (tmp_path / "rnn.dot").read_text() == graph.source
    assert not (tmp_path / "rnn.svg").exists()


def test_render_to_a_dot_path_writes_the_source_without_dot(graph, tmp_path, no_dot):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render(graph, tmp_path / "rnn.dot")
    assert (tmp_path / "rnn.dot").read_text() == graph.source


def test_render_rejects_an_unknown_format(graph, tmp_path):
    with pytest.raises(ValueError, match=r"cannot write format 'jpeg'.*svg, png, pdf, dot, gv"):
        render(graph, tmp_path / "rnn.jpeg")


@needs_dot
@pytest.mark.parametrize("model", ["rnn", "lstm", "gru", "attention"])
def test_graph_command_draws_each_model(model, tmp_path, capsys):
    out = tmp_path / f"{model}.svg"
    assert main(["graph", "--model", model, "--steps", "3", "-o", str(out)]) == 0
    assert "<svg" in out.read_text()
    assert f"wrote {out}" in capsys.readouterr().out


def test_graph_command_collapses_and_colours_gradient_flow(tmp_path):
    out = tmp_path / "gru.dot"
    assert main(["graph", "--model", "gru", "--steps", "6", "--collapse", "--elide", "2", "--grad-flow",
                 "-o", str(out)]) == 0
    source = out.read_text()
    assert "gradient norm (log scale)" in source and "2 steps left out" in source


def test_graph_command_without_dot_still_writes_the_source_and_says_so_in_one_line(tmp_path, no_dot, capsys, recwarn):
    assert main(["graph", "--model", "rnn", "--steps", "2", "-o", str(tmp_path / "rnn.png")]) == 0
    assert (tmp_path / "rnn.dot").exists() and not recwarn.list
    assert capsys.readouterr().out.splitlines() == [
        f"skipped {tmp_path / 'rnn.png'}: Graphviz's `dot` is not installed (apt-get install graphviz or brew "
        f"install graphviz); wrote {tmp_path / 'rnn.dot'} instead"]


def test_plot_of_gradient_norms_puts_the_models_side_by_side(tmp_path):
    pytest.importorskip("matplotlib")
    losses = compare_models(tr.randn(12, 2, 3))
    fig = plot_grad_norms(losses, path=tmp_path / "norms.png")
    assert [ax.get_title() for ax in fig.axes] == ["tanh RNN", "LSTM", "GRU"]
    assert all(ax.get_yscale() == "log" and len(ax.lines[0].get_xdata()) == 12 for ax in fig.axes)
    assert (tmp_path / "norms.png").read_bytes().startswith(b"\x89PNG")


def test_gradient_vanishes_faster_through_a_tanh_rnn_than_an_lstm():
    tr.manual_seed(0)
    losses = compare_models(tr.randn(30, 2, 3))
    decay = {}
    for label, loss in losses.items():
        with pytest.warns(DeprecationWarning):
            (norms,) = tr.viz.step_grad_norms(loss).values()
        decay[label] = norms[0][1] / norms[-1][1]  # ||dL/dh_0|| / ||dL/dh_29||
    assert decay["tanh RNN"] < decay["LSTM"] < 1


def test_plot_without_matplotlib_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install tinygrad_rnn\[plot\]"):
        plot_grad_norms({"x": tr.ones(1)})

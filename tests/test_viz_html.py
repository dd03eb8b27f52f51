"""The interactive graph page, Python side: one self-contained file, and the node data it carries.

The page's behaviour in a browser is tested in test_viz_html_browser.py.
"""

import gc
import json
import re

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import data, demo, nn
from tinygrad_rnn.cli import main
from tinygrad_rnn.viz import GraphvizMissingError, dot_available, draw_graph, to_html

needs_dot = pytest.mark.skipif(not dot_available(), reason="Graphviz's dot is not installed")

SVG_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def read_page(path):
    """(the page's text, its inline JSON data, its inline SVG)."""
    text = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', text, re.S)
    svg = re.search(r"<svg.*?</svg>", text, re.S)
    return text, json.loads(found.group(1)), svg.group(0)


def rnn_loss(device="cpu", steps=3):
    model = nn.RNN(3, 4, impl="composite").to(device)
    output, _ = model(tr.randn(steps, 2, 3, device=device))
    return model, (output[steps - 1] ** 2).mean()


def keys_by_name(page_data, name):
    return [k for k, n in page_data["nodes"].items() if n["name"] == name]


@needs_dot
def test_to_html_writes_one_page_with_the_svg_the_script_and_the_style_inline(tmp_path):
    model, loss = rnn_loss()
    assert to_html(loss, tmp_path / "graph.html", params=model) == str(tmp_path / "graph.html")
    text, _, svg = read_page(tmp_path / "graph.html")
    assert text.startswith("<!DOCTYPE html>") and "<?xml" not in text and "<!DOCTYPE svg" not in text
    assert svg.count("<svg") == 1 and "weight_hh_l0" in svg
    assert "<style>" in text and text.count("<script") == 2
    assert not re.search(r"<script[^>]*\ssrc=|<link\b|@import|<iframe|<img\b", text)


@needs_dot
def test_the_page_names_no_url_but_the_svg_namespaces(tmp_path):
    model, loss = rnn_loss()
    to_html(loss, tmp_path / "g.html", params=model)
    text = read_page(tmp_path / "g.html")[0]
    assert set(re.findall(r"https?://[^\s\"'<>)]+", text)) <= SVG_NAMESPACES


@needs_dot
def test_every_drawn_node_has_its_data_under_the_key_the_svg_gives_it(tmp_path):
    model, loss = rnn_loss()
    to_html(loss, tmp_path / "g.html", params=model)
    _, page, svg = read_page(tmp_path / "g.html")
    titles = set(re.findall(r'<g id="node\d+" class="node">\s*<title>([^<]+)</title>', svg))
    assert set(page["nodes"]) == {t for t in titles if not t.startswith("ruler_")}


@needs_dot
def test_node_data_gives_op_scope_shapes_dtype_and_device(tmp_path):
    model, loss = rnn_loss()
    to_html(loss, tmp_path / "g.html", params=model)
    nodes = read_page(tmp_path / "g.html")[1]["nodes"]
    tanh = [nodes[k] for k in keys_by_name({"nodes": nodes}, "Tanh") if nodes[k]["step"].endswith("t=1")]
    assert len(tanh) == 1
    assert tanh[0]["kind"] == "op" and tanh[0]["scope"] == ["RNN layer 0 forward", "t=1"]
    assert tanh[0]["step"] == "RNN layer 0 forward / t=1"
    assert tanh[0]["shapes"] == ["(2, 4)"] and tanh[0]["dtype"] == "float32" and tanh[0]["device"] == "cpu"
    root = next(n for n in nodes.values() if n["kind"] == "output")
    assert root["name"] == "Mean" and root["shapes"] == ["()"] and root["step"] is None


@needs_dot
def test_value_statistics_are_min_max_mean_and_norm_of_the_nodes_output(tmp_path):
    x = tr.randn(5, 3, requires_grad=True)
    with tr.viz.record_values():  # nodes keep no arrays: an op's statistics are taken as it runs
        y = x.tanh()
        loss = (y * y).sum()
    to_html(loss, tmp_path / "g.html", params={"x": x})
    page = read_page(tmp_path / "g.html")[1]
    expected = np.tanh(x.numpy()).astype(np.float64)
    (stats,) = page["nodes"][keys_by_name(page, "Tanh")[0]]["values"]
    assert stats == pytest.approx(dict(min=expected.min(), max=expected.max(), mean=expected.mean(),
                                       norm=np.sqrt((expected ** 2).sum())), rel=1e-5)
    (leaf,) = page["nodes"][keys_by_name(page, "x")[0]]["values"]
    assert leaf["max"] == pytest.approx(float(x.numpy().max()), rel=1e-5)


@needs_dot
def test_an_op_with_several_outputs_gets_statistics_for_each(tmp_path):
    x = tr.randn(4, 6, requires_grad=True)
    with tr.viz.record_values():
        a, b = x.split(3, 1)
        loss = (a * 2).sum() + (b * 3).sum()
    to_html(loss, tmp_path / "g.html")
    page = read_page(tmp_path / "g.html")[1]
    split = page["nodes"][keys_by_name(page, "Split")[0]]
    assert split["shapes"] == ["(4, 3)", "(4, 3)"]
    halves = [x.numpy()[:, :3].max(), x.numpy()[:, 3:].max()]
    assert [s["max"] for s in split["values"]] == pytest.approx(halves, rel=1e-5)


@needs_dot
def test_values_are_computed_on_the_device_the_graph_lives_on(tmp_path, device):
    model, loss = rnn_loss(device)
    to_html(loss, tmp_path / "g.html", params=model)
    page = read_page(tmp_path / "g.html")[1]
    weight = page["nodes"][keys_by_name(page, "weight_ih_l0")[0]]
    assert weight["device"] == device
    assert weight["values"][0]["mean"] == pytest.approx(float(model.weight_ih_l0.numpy().mean()), rel=1e-5)


@needs_dot
def test_ops_have_no_values_unless_recorded_and_leaves_none_once_the_graph_is_dropped(tmp_path):
    def drawing_only():
        model, loss = rnn_loss()
        return draw_graph(loss, params=model)

    drawing = drawing_only()
    gc.collect()
    to_html(drawing, tmp_path / "g.html")
    nodes = read_page(tmp_path / "g.html")[1]["nodes"]
    assert nodes and all(n["values"] is None for n in nodes.values() if n["kind"] in ("op", "output", "input"))


@needs_dot
def test_non_finite_values_are_written_as_strings_the_json_can_hold(tmp_path):
    x = tr.tensor([1.0, 0.0], requires_grad=True)
    with np.errstate(divide="ignore"), tr.viz.record_values():
        loss = x.log().sum()
    to_html(loss, tmp_path / "g.html")
    page = read_page(tmp_path / "g.html")[1]
    (stats,) = page["nodes"][keys_by_name(page, "Log")[0]]["values"]
    assert stats["min"] == "-inf" and stats["max"] == 0.0
    assert page["nodes"][keys_by_name(page, "Sum")[0]]["values"][0]["mean"] == "-inf"


@needs_dot
def test_the_backward_order_starts_at_the_root_and_visits_each_op_after_its_users(tmp_path):
    model, loss = rnn_loss()
    to_html(loss, tmp_path / "g.html", params=model)
    page = read_page(tmp_path / "g.html")[1]
    order = {key: i for i, key in enumerate(page["backward"])}
    assert page["nodes"][page["backward"][0]]["kind"] == "output"
    assert {k for k, n in page["nodes"].items() if n["kind"] in ("op", "output")} == set(order)
    drawing = draw_graph(loss, params=model)
    for src, dst in drawing.traced.edges:
        if src in order:
            assert order[dst] < order[src]


@needs_dot
def test_a_leaf_is_reached_with_the_first_of_its_users_in_backward_order(tmp_path):
    model, loss = rnn_loss()
    drawing = draw_graph(loss, params=model)
    to_html(drawing, tmp_path / "g.html")
    page = read_page(tmp_path / "g.html")[1]
    order = {key: i for i, key in enumerate(page["backward"])}
    weight = keys_by_name(page, "bias_hh_l0")[0]
    users = [dst for src, dst in drawing.traced.edges if src == weight]
    assert len(users) == 3 and page["nodes"][weight]["reach"] == min(order[u] for u in users)


@needs_dot
def test_recorded_gradient_norms_come_with_their_colours(tmp_path):
    model, loss = rnn_loss()
    with tr.record_grad_norms():
        loss.backward()
    to_html(loss, tmp_path / "g.html", params=model)
    page = read_page(tmp_path / "g.html")[1]
    root = page["nodes"][page["backward"][0]]
    assert page["norms_recorded"] and root["grad_norm"] == pytest.approx(1.0)  # dL/dL
    weight = page["nodes"][keys_by_name(page, "weight_hh_l0")[0]]
    assert weight["grad_norm"] == pytest.approx(float(np.linalg.norm(model.weight_hh_l0.grad.numpy())), rel=1e-5)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", n["fill"]) for n in page["nodes"].values())
    assert len(page["legend"]) == 5


@needs_dot
def test_without_recorded_norms_the_page_says_so_and_carries_no_colours(tmp_path):
    model, loss = rnn_loss()
    to_html(loss, tmp_path / "g.html", params=model)
    page = read_page(tmp_path / "g.html")[1]
    assert not page["norms_recorded"] and page["legend"] == []
    assert all(n["grad_norm"] is None and "fill" not in n for n in page["nodes"].values())


@needs_dot
def test_each_step_cluster_is_named_by_its_time_step(tmp_path):
    model, loss = rnn_loss()
    to_html(loss, tmp_path / "g.html", params=model)
    _, page, svg = read_page(tmp_path / "g.html")
    assert sorted(page["clusters"].values()) == [f"RNN layer 0 forward / t={t}" for t in range(3)]
    assert set(page["clusters"]) <= set(re.findall(r'class="cluster">\s*<title>([^<]+)</title>', svg))


@needs_dot
def test_a_collapsed_drawing_steps_through_its_step_boxes(tmp_path):
    model, loss = rnn_loss()
    with tr.record_grad_norms():
        loss.backward()
    to_html(loss, tmp_path / "g.html", params=model, collapse=True)
    page = read_page(tmp_path / "g.html")[1]
    boxes = [k for k in page["backward"] if page["nodes"][k]["kind"] == "step"]
    assert [page["nodes"][k]["step"] for k in boxes] == [f"RNN layer 0 forward / t={t}" for t in (2, 1, 0)]
    assert all(page["nodes"][k]["values"] is None and page["nodes"][k]["grad_norm"] > 0 for k in boxes)
    assert sorted(page["clusters"].values()) == [f"RNN layer 0 forward / t={t}" for t in range(3)]


@needs_dot
def test_names_in_the_data_cannot_end_the_script_block(tmp_path):
    x = tr.randn(2, requires_grad=True)
    loss = (x * x).sum()
    to_html(loss, tmp_path / "g.html", params={"</script><b>x": x}, title="a <title> & more")
    text, page, _ = read_page(tmp_path / "g.html")
    assert "</script><b>" not in text
    assert keys_by_name(page, "</script><b>x")
    assert "<title>a &lt;title&gt; &amp; more</title>" in text


def test_to_html_rejects_what_is_neither_a_tensor_nor_a_drawing(tmp_path):
    with pytest.raises(TypeError, match="to_html: expected a Tensor or a drawing returned by draw_graph, got int"):
        to_html(3, tmp_path / "g.html")


def test_to_html_without_dot_says_to_install_graphviz(tmp_path, monkeypatch):
    model, loss = rnn_loss()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GraphvizMissingError, match=r"to_html: the page is laid out by Graphviz's `dot`, which was "
                                                   r"not found; install Graphviz \(apt-get install graphviz"):
        to_html(loss, tmp_path / "g.html", params=model)
    assert not (tmp_path / "g.html").exists()


@needs_dot
def test_the_graph_command_writes_the_page_with_gradient_norms(tmp_path, capsys):
    path = tmp_path / "graph.html"
    assert main(["graph", "--model", "lstm", "--steps", "3", "-o", str(path)]) == 0
    assert f"wrote {path}" in capsys.readouterr().out
    page = read_page(path)[1]
    assert page["norms_recorded"] and len(page["clusters"]) == 3


@needs_dot
def test_the_demo_writes_the_page_beside_the_svg(tmp_path):
    vocab = data.CharVocab("def add(a, b):\n    return a + b\n")
    files = demo.write_unrolled_graph(tmp_path, demo.CharLSTM(len(vocab), 8), vocab, "cpu")
    assert [p.name for p in files] == ["unrolled.dot", "unrolled.svg", "graph.html"]
    page = read_page(tmp_path / "graph.html")[1]
    assert page["norms_recorded"] and any(n["name"] == "lstm.weight_hh_l0" for n in page["nodes"].values())

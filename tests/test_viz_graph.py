"""draw_graph: step clusters, shared parameters, collapse, elision, gradient flow, read from the DOT source."""

import re

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.viz import GradNormsMissing, draw_graph, step_grad_norms

T = 5


def unrolled(layer=nn.RNN, steps=T, **kwargs):
    """A recurrent layer over `steps` steps (composite ops) and its loss: mean square of all outputs."""
    model = layer(3, 4, impl="composite", **kwargs)
    output, _ = model(tr.randn(steps, 2, 3))
    return model, (output * output).mean()


def parse(dot):
    """DOT source -> ({node id: (label, [enclosing cluster labels])}, visible edges [(src, dst)] as data flows)."""
    nodes, edges, clusters = {}, [], []
    for line in dot.splitlines():
        line = line.strip()
        if line.startswith("subgraph cluster_"):
            clusters.append(None)
        elif line == "}" and clusters:
            clusters.pop()
        elif clusters and clusters[-1] is None and re.match(r"^(color|label|peripheries)=", line):
            clusters[-1] = (re.search(r'\blabel="([^"]*)"', line) or re.search(r"\blabel=(\S*)", line)).group(1)
        elif m := re.match(r"^(\w+) -> (\w+)(?: \[(.*)\])?$", line):
            src, dst, attrs = m.group(1), m.group(2), m.group(3) or ""
            if "invis" not in attrs:
                edges.append((dst, src) if "dir=back" in attrs else (src, dst))
        elif m := re.match(r"^(\w+) \[(.*)\]$", line):
            if "invis" in m.group(2) or m.group(1) in ("graph", "node", "edge"):
                continue
            label = re.search(r'label=("(?:[^"\\]|\\.)*"|<.*>)', m.group(2)).group(1)
            nodes[m.group(1)] = (label, [c for c in clusters if c])
    return nodes, edges


def step_of(nodes, key):
    steps = [c for c in nodes[key][1] if re.fullmatch(r"t=\d+", c)]
    return steps[0] if steps else None


def node_named(nodes, name):
    found = [k for k, (label, _) in nodes.items() if f"<B>{name}</B>" in label]
    assert len(found) == 1, f"{name} drawn {len(found)} times"
    return found[0]


def test_rnn_over_t_steps_draws_t_step_clusters_inside_its_layer():
    model, loss = unrolled()
    dot = draw_graph(loss, params=model).source
    assert sorted(re.findall(r'label="(t=\d+)"', dot)) == [f"t={t}" for t in range(T)]
    assert dot.count('label="RNN layer 0 forward"') == 1
    nodes, _ = parse(dot)
    tanh = [k for k, (label, _) in nodes.items() if "<BR/>Tanh<BR/>" in label]   # h_t = tanh(...)
    assert len(tanh) == T
    assert all(nodes[k][1][0] == "RNN layer 0 forward" for k in tanh)


def test_every_parameter_is_drawn_once_by_name():
    model, loss = unrolled()
    nodes, _ = parse(draw_graph(loss, params=dict(model.named_parameters())).source)
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        node_named(nodes, name)


def test_weight_hh_is_transposed_once_and_enters_every_step():
    model, loss = unrolled()
    nodes, edges = parse(draw_graph(loss, params=model).source)
    weight_hh, transposed = node_named(nodes, "weight_hh_l0"), node_named(nodes, "W_hh^T")
    assert step_of(nodes, weight_hh) is None and step_of(nodes, transposed) is None
    assert [dst for src, dst in edges if src == weight_hh] == [transposed]
    assert {step_of(nodes, dst) for src, dst in edges if src == transposed} == {f"t={t}" for t in range(T)}


def test_edges_run_the_way_data_flows():
    model, loss = unrolled()
    nodes, edges = parse(draw_graph(loss, params=model).source)
    root = next(k for k, (label, _) in nodes.items() if label.startswith('"Mean'))
    weight_hh = node_named(nodes, "weight_hh_l0")
    assert all(src != root for src, _ in edges) and any(dst == root for _, dst in edges)
    assert all(dst != weight_hh for _, dst in edges)
    # h_t leaves step t and enters step t+1, never the other way
    crossing = {(step_of(nodes, s), step_of(nodes, d)) for s, d in edges
                if step_of(nodes, s) and step_of(nodes, d) and step_of(nodes, s) != step_of(nodes, d)}
    assert crossing == {(f"t={t}", f"t={t + 1}") for t in range(T - 1)}


def test_labels_give_op_name_and_output_shape_and_dtype_device_on_request():
    model, loss = unrolled()
    plain = draw_graph(loss, params=model).source
    assert '"Mean\\n()"' in plain and "float32" not in plain
    detailed = draw_graph(loss, params=model, show_dtype=True, show_device=True).source
    assert '"Mean\\n()\\nfloat32\\ncpu"' in detailed
    assert "<B>weight_hh_l0</B><BR/>(4, 4)<BR/>float32<BR/>cpu" in detailed


def test_unnamed_leaves_are_drawn_as_inputs():
    x = tr.randn(2, 3, requires_grad=True)
    w = tr.randn(3, 4, requires_grad=True)
    nodes, edges = parse(draw_graph((x @ w).sum(), params={"w": w}).source)
    labels = sorted(label for label, _ in nodes.values())
    assert labels == ['"MatMul\\n(2, 4)"', '"Sum\\n()"', '"input\\n(2, 3)"', "<<B>w</B><BR/>(3, 4)>"]
    assert len(edges) == 3


def test_a_one_element_input_is_drawn_but_a_python_number_is_not():
    x = tr.randn(1, 1)                     # e.g. x_t of a one-feature series, batch 1
    w = tr.randn(1, 4, requires_grad=True)
    nodes, _ = parse(draw_graph(((x @ w) * 2.0).sum(), params={"w": w}).source)
    labels = sorted(label for label, _ in nodes.values())
    assert '"input\\n(1, 1)"' in labels
    assert not any("()" in label and "input" in label for label in labels)


def test_a_module_and_its_named_parameters_give_the_same_drawing():
    model, loss = unrolled()
    assert draw_graph(loss, params=model).source == draw_graph(loss, params=dict(model.named_parameters())).source


def test_bidirectional_layer_draws_a_cluster_per_direction():
    model, loss = unrolled(nn.GRU, steps=3, bidirectional=True)
    dot = draw_graph(loss, params=model).source
    assert dot.count('label="GRU layer 0 forward"') == 1 and dot.count('label="GRU layer 0 reverse"') == 1
    assert len(re.findall(r'label="t=\d+"', dot)) == 6


def count_nodes(dot):
    return len(parse(dot)[0])


def test_collapse_draws_each_step_as_one_box():
    model, loss = unrolled(nn.LSTM)
    full = parse(draw_graph(loss, params=model).source)[0]
    in_steps = sum(1 for k in full if step_of(full, k))
    collapsed = draw_graph(loss, params=model, collapse=True).source
    assert count_nodes(collapsed) == len(full) - in_steps + T
    assert not re.search(r'label="t=\d+"', collapsed)  # no step clusters left, only boxes
    per_step = in_steps // T - 1  # each step's ops, less its input slice
    assert len(re.findall(rf'"t=\d+\\n{per_step} ops"', collapsed)) == T


def test_elide_keeps_the_first_and_last_k_steps_and_says_how_many_were_left_out():
    steps, k = 20, 2
    model, loss = unrolled(steps=steps)
    full = parse(draw_graph(loss, params=model).source)[0]
    per_step = sum(1 for key in full if step_of(full, key) == "t=7")
    elided = draw_graph(loss, params=model, elide=k).source
    assert sorted(re.findall(r'label="(t=\d+)"', elided)) == ["t=0", "t=1", "t=18", "t=19"]
    assert "... 16 steps left out ...\\n(t=2 to t=17)" in elided
    assert count_nodes(elided) == len(full) - (steps - 2 * k) * per_step + 1


def test_elide_and_collapse_together_draw_2k_boxes_and_one_elision_node():
    model, loss = unrolled(steps=30)
    dot = draw_graph(loss, params=model, elide=3, collapse=True).source
    assert len(re.findall(r'"t=\d+\\n\d+ ops"', dot)) == 6
    assert "24 steps left out" in dot


def test_elide_leaves_a_short_sequence_whole():
    model, loss = unrolled(steps=4)
    assert draw_graph(loss, params=model, elide=2).source == draw_graph(loss, params=model).source


def test_elide_rejects_a_negative_count():
    model, loss = unrolled(steps=2)
    with pytest.raises(ValueError, match="elide must be a non-negative int"):
        draw_graph(loss, params=model, elide=-1)


def test_grad_flow_before_backward_says_to_record_grad_norms():
    model, loss = unrolled()
    with pytest.raises(GradNormsMissing, match=r"with tr.record_grad_norms\(\): loss.backward\(\)"):
        draw_graph(loss, params=model, grad_flow=True)


def test_grad_flow_needs_the_backward_inside_record_grad_norms():
    model, loss = unrolled()
    loss.backward()
    with pytest.raises(GradNormsMissing, match="record_grad_norms"):
        draw_graph(loss, params=model, grad_flow=True)


def test_gradient_colours_and_legend_appear_only_after_backward_with_grad_flow():
    model, loss = unrolled()
    before = draw_graph(loss, params=model).source
    with tr.record_grad_norms():
        loss.backward()
    assert draw_graph(loss, params=model).source == before  # nothing coloured unless asked
    coloured = draw_graph(loss, params=model, grad_flow=True).source
    assert "gradient norm (log scale)" in coloured and "gradient norm" not in before
    assert "penwidth" in coloured and "penwidth" not in before
    fills = set(re.findall(r'fillcolor="(#[0-9a-f]{6})"', coloured))
    assert len(fills) > 5  # a range of norms, not one colour


def test_step_grad_norms_match_the_gradient_of_each_hidden_state():
    w_hh = (tr.randn(4, 4) * 0.5).requires_grad_()
    h, states = tr.zeros(2, 4), []
    with tr.scope("RNN layer 0 forward"):
        for t in range(6):
            with tr.scope(f"t={t}"):
                h = (h @ w_hh + 1.0).tanh()
            h.retain_grad()
            states.append(h)
    loss = (h * h).sum()
    with tr.record_grad_norms():
        loss.backward()
    with pytest.warns(DeprecationWarning, match=r"use tr.nn.step_gradient_norms\(loss, out\)"):
        curves = step_grad_norms(loss)
    assert list(curves) == ["RNN layer 0 forward"]
    expected = [float((s.grad.numpy() ** 2).sum()) ** 0.5 for s in states]
    assert [t for t, _ in curves["RNN layer 0 forward"]] == list(range(6))
    assert [n for _, n in curves["RNN layer 0 forward"]] == pytest.approx(expected, rel=1e-5)


def test_a_fused_layer_is_one_node_that_names_itself_and_says_how_to_see_the_steps():
    model = nn.LSTM(3, 4, impl="fused")
    output, _ = model(tr.randn(100, 2, 3))
    nodes, _ = parse(draw_graph((output * output).mean(), params=model).source)
    (label, clusters), = [v for v in nodes.values() if "BPTT" in v[0]]
    assert label.startswith('"LSTM layer 0 forward, BPTT by hand, T = 100\\nimpl=\\"composite\\" draws its steps')
    assert clusters == ["LSTM layer 0 forward"]
    assert not [c for _, cs in nodes.values() for c in cs if c.startswith("t=")]  # no step clusters


def test_a_fused_drawing_renders_with_dot(tmp_path):
    from tinygrad_rnn.viz import dot_available, render
    if not dot_available():
        pytest.skip("Graphviz's dot is not installed")
    model = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    output, _ = model(tr.randn(7, 2, 3))
    path = render(draw_graph(output.sum(), params=model), tmp_path / "fused.svg")
    assert "BPTT by hand, T = 7" in open(path).read()


def test_grad_flow_colours_a_fused_layer_by_its_recorded_norm():
    model = nn.RNN(3, 4, impl="fused")
    output, _ = model(tr.randn(6, 2, 3))
    loss = (output * output).mean()
    with tr.record_grad_norms():
        loss.backward()
    source = draw_graph(loss, params=model, grad_flow=True).source
    assert re.search(r'BPTT by hand.*tooltip="grad norm [0-9.e+-]+"', source)


def test_a_long_graph_draws_without_recursion():
    w = tr.randn(4, 4, requires_grad=True)
    h = tr.zeros(1, 4)
    with tr.scope("RNN layer 0 forward"):
        for t in range(3000):
            with tr.scope(f"t={t}"):
                h = (h @ w).tanh()
    nodes, _ = parse(draw_graph(h.sum(), params={"w": w}, elide=2, collapse=True).source)
    assert len(nodes) == 1 + 4 + 1 + 1  # w, four step boxes, the elision node, the Sum


def test_draw_graph_rejects_what_it_cannot_draw():
    with pytest.raises(TypeError, match="expected a Tensor, got list"):
        draw_graph([1, 2])
    with pytest.raises(tr.GraphError, match=r"the tensor \(shape \(2,\)\) has no recorded graph"):
        draw_graph(tr.ones(2) * 2)
    model, loss = unrolled(steps=1)
    with pytest.raises(TypeError, match="params must be a dict name -> Tensor or a Module"):
        draw_graph(loss, params=[1])


def test_the_drawing_is_the_same_on_every_device(device):
    tr.manual_seed(0)
    model, loss = unrolled(steps=3)
    cpu = draw_graph(loss, params=model, show_device=True).source
    tr.manual_seed(0)
    moved = nn.RNN(3, 4, impl="composite").to(device)
    output, _ = moved(tr.randn(3, 2, 3).to(device))
    drawn = draw_graph((output * output).mean(), params=moved, show_device=True).source
    assert drawn == cpu.replace("cpu", device)


def symbols_by_step(nodes):
    """{step: sorted symbols drawn in bold inside it} from the DOT source."""
    found = {}
    for key, (label, _) in nodes.items():
        m = re.match(r"<<B>([^<]*)</B><BR/>", label)
        if m and step_of(nodes, key) is not None:
            found.setdefault(step_of(nodes, key), set()).add(m.group(1))
    return found


@pytest.mark.parametrize("layer, symbols", [
    (nn.LSTM, {"x_t W_ih^T", "h_{t-1} W_hh^T", "[a_i, a_f, a_g, a_o]", "i", "f", "g", "o", "f * c_{t-1}",
               "i * g", "c_t", "tanh(c_t)", "h_t"}),
    (nn.GRU, {"x_t W_ih^T", "h_{t-1} W_hh^T", "[x_r, x_z, x_n]", "[h_r, h_z, h_n]", "r", "z", "n", "r * h_n",
              "1 - z", "(1 - z) * n", "z * h_{t-1}", "h_t"}),
    (nn.RNN, {"x_t W_ih^T", "h_{t-1} W_hh^T", "h_t"}),
])
def test_composite_steps_carry_the_symbols_of_the_equations(layer, symbols):
    model, loss = unrolled(layer, steps=3)
    nodes, _ = parse(draw_graph(loss, params=model).source)
    assert symbols_by_step(nodes) == {f"t={t}": symbols for t in range(3)}


@pytest.mark.parametrize("layer", [nn.LSTM, nn.GRU, nn.RNN])
def test_each_weight_is_transposed_once_per_layer_not_per_step(layer):
    model, loss = unrolled(layer, steps=4)
    dot = draw_graph(loss, params=model).source
    assert dot.count("<BR/>Transpose<BR/>") == 2
    assert dot.count("<B>W_ih^T</B>") == 1 and dot.count("<B>W_hh^T</B>") == 1


def test_the_initial_state_is_drawn_as_h_0_and_c_0_in_the_first_step():
    model = nn.LSTM(3, 4, impl="composite")
    out, _ = model(tr.randn(4, 2, 3))
    nodes, _ = parse(draw_graph(out, params=model).source)
    starts = {label: step_of(nodes, k) for k, (label, _) in nodes.items() if label.startswith('"h_0') or
              label.startswith('"c_0')}
    assert starts == {'"h_0\\n(2, 4)"': "t=0", '"c_0\\n(2, 4)"': "t=0"}
    assert "input" not in draw_graph(out, params=model).source   # x_t, h_0, c_0: every leaf has its name


def test_a_given_initial_state_is_named_h_0_and_c_0_too():
    model = nn.LSTM(3, 4, impl="composite")
    h0, c0 = tr.randn(1, 2, 4, requires_grad=True), tr.randn(1, 2, 4, requires_grad=True)
    out, _ = model(tr.randn(4, 2, 3), (h0, c0))
    dot = draw_graph(out, params=model).source
    assert dot.count("<B>h_0</B>") == 1 and dot.count("<B>c_0</B>") == 1


def test_an_unrolled_cell_starts_from_h_0():
    cell = nn.GRUCell(3, 4, impl="composite")
    hidden, _ = nn.unroll(cell, tr.randn(3, 2, 3))
    nodes, _ = parse(draw_graph(hidden[-1], params=cell).source)
    assert [step_of(nodes, k) for k, (label, _) in nodes.items() if label.startswith('"h_0')] == ["t=0"]
    assert symbols_by_step(nodes)["t=2"] >= {"r", "z", "n", "h_t"}

"""draw_graph: the recorded graph as a graphviz.Digraph, one cluster per time step.

    g = tr.viz.draw_graph(loss, params=model)              # every op, steps as clusters
    g = tr.viz.draw_graph(loss, params=model, collapse=True, elide=3)
    tr.viz.render(g, "bptt.svg")                            # or g.render(...) / g.pipe(...)

Ops are boxes (name and output shape), parameters blue boxes with their names,
other leaves yellow ovals labelled "input"; edges run the way data flows. Scopes
become nested clusters: the layer ("LSTM layer 0 forward") around its steps
("t=0", "t=1", ...), drawn as columns side by side in time order. A parameter
is drawn once, outside the steps, with an edge into every step that uses it, so
weight sharing across time is visible.
"""

import html

from ..errors import GraphError, OpError
from ..tensor import Tensor
from .grad_flow import GradNormsMissing, LogScale, missing_norms_message
from .graph import STEP, group, step_number, step_prefix, trace

FONT = "Helvetica"
STYLE = {  # node kind -> graphviz attributes
    "op": dict(shape="box", style="rounded,filled", fillcolor="#f3f3f3", color="#7a7a7a"),
    "output": dict(shape="box", style="rounded,filled,bold", fillcolor="#d9ead3", color="#38761d"),
    "param": dict(shape="box", style="filled", fillcolor="#cfe2f3", color="#3d6fb4"),
    "input": dict(shape="oval", style="filled", fillcolor="#fff2cc", color="#b8860b"),
    "step": dict(shape="box", style="rounded,filled", fillcolor="#e6eefa", color="#5a7bb5"),
    "elided": dict(shape="box", style="rounded,dashed", fillcolor="white", color="#7a7a7a"),
}
PARAM_EDGE = "#3d6fb4"   # edges out of parameters: the weight sharing across steps
STEP_FILLS = ("#f6f8fc", "#eef2f9")  # alternate shades so neighbouring steps read apart


def draw_graph(tensor, params=None, show_dtype=False, show_device=False, collapse=False, elide=None,
               grad_flow=False, rankdir="TB"):
    """The graph recorded below `tensor` as a graphviz.Digraph.

    params       dict name -> Tensor (e.g. dict(model.named_parameters())) or a Module:
                 names for the parameter leaves; other leaves are labelled "input"
    show_dtype, show_device   add the output dtype / device to each node's label
    collapse     draw each time step as one box (its step tag and op count)
    elide        k: in each layer keep the first k and last k steps and draw one
                 node saying how many steps between them were left out
    grad_flow    colour nodes and edges by the log of the gradient norm through
                 them, with a legend; needs a backward run inside
                 `with tr.record_grad_norms():`
    rankdir      "TB": each step a column, data flowing down inside it, time running
                 left to right (the textbook unrolled picture); "LR" turns it a quarter
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor, got {type(tensor).__name__}")
    if tensor._ctx is None and not tensor.requires_grad:
        raise GraphError(f"draw_graph: the tensor (shape {tuple(tensor.shape)}) has no recorded graph; "
                         "create its leaves with requires_grad=True and compute it outside no_grad()")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise OpError(f"draw_graph: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    graphviz = _graphviz()
    full = trace(tensor, params)
    scale = None
    if grad_flow:
        norms = [n.grad_norm for n in full.nodes.values() if n.kind in ("op", "output")]
        if tensor._ctx is not None and all(n is None for n in norms):
            raise GradNormsMissing(missing_norms_message("draw_graph(grad_flow=True)"))
        scale = LogScale(norms + [n.grad_norm for n in full.nodes.values() if n.kind == "param"])
    shown = group(full, collapse=collapse, elide=elide)

    g = graphviz.Digraph("graph", graph_attr=dict(rankdir=rankdir, newrank="true", fontname=FONT,
                                                  fontsize="11", nodesep="0.18", ranksep="0.28"),
                         node_attr=dict(fontname=FONT, fontsize="10", height="0.3", margin="0.08,0.04"),
                         edge_attr=dict(color="#555555", arrowsize="0.6"))
    rulers, rows, links = _time_rulers(shown)
    _emit_clusters(g, shown, lambda node: _node_attrs(node, show_dtype, show_device, scale), rulers)
    for row in rows:
        with g.subgraph() as same:
            same.attr(rank="same")
            for left, right in zip(row, row[1:]):
                same.edge(left, right, style="invis")
    for node, marker in links:
        g.edge(node, marker, style="invis", weight="10")
    # edges listed in time order: dot's initial placement follows the input order
    step = {key: _time_step(node) for key, node in shown.nodes.items()}
    edges = sorted(shown.edges, key=lambda e: step[e[1]] or ((), -1))
    for src, dst in edges:
        attrs = _edge_attrs(shown.nodes[src], scale)
        a, b = step[src], step[dst]
        if a is None or b is None or a == b or a[0] != b[0]:
            g.edge(src, dst, **attrs)
        else:
            # A state handed from step to step (h_t into step t+1) enters the
            # next column level or higher up. Written head to tail with
            # dir=back, minlen=0 and weight=0, dot may rank it level or upward
            # but never pushes the next column down: the columns stay level,
            # side by side, and the arrow still points the way data flows.
            g.edge(dst, src, dir="back", minlen="0", weight="0", **attrs)
    if scale is not None:
        g.node("legend", _legend(scale), shape="plaintext", margin="0")
    g.traced = shown  # the drawn nodes as data, by the keys the drawing uses (`to_html` reads them)
    return g


def _graphviz():
    # imported on first use, so `import tinygrad_rnn` works without the package
    try:
        import graphviz
    except ImportError:
        raise ImportError("draw_graph needs the graphviz Python package: pip install graphviz "
                          "(and Graphviz itself to render: apt-get install graphviz / brew install graphviz)") from None
    return graphviz


def _emit_clusters(g, shown, attrs, rulers):
    """Nodes into nested clusters, one per scope prefix, in the order they first appear."""
    tree = {}  # scope prefix -> ([node keys], {child prefixes})
    tree[()] = ([], {})
    for key, node in shown.nodes.items():
        for i in range(1, len(node.scope) + 1):
            prefix = node.scope[:i]
            if prefix not in tree:
                tree[prefix] = ([], {})
                tree[prefix[:-1]][1][prefix] = None
        tree[node.scope][0].append(key)
    counter = iter(range(len(tree) + len(shown.nodes)))
    _emit(g, (), tree, shown, attrs, rulers, counter)


def _emit(parent, prefix, tree, shown, attrs, rulers, counter):
    """One cluster's nodes, then its child clusters (recursion depth: the scope nesting, a few
    levels). A module function, not a closure calling itself: that would be a reference cycle."""
    keys, children = tree[prefix]
    for key in keys:
        node = shown.nodes[key]
        if node.kind in ("step", "elided"):
            # a frameless cluster of its own, so dot orders it like an expanded step
            with parent.subgraph(name=f"cluster_{next(counter)}") as c:
                c.attr(label="", peripheries="0", margin="0")
                c.node(key, **attrs(node))
        else:
            parent.node(key, **attrs(node))
    for key in rulers.get(prefix, ()):
        parent.node(key, shape="point", style="invis", width="0", height="0")
    for child in sorted(children, key=_step_order):
        with parent.subgraph(name=f"cluster_{next(counter)}") as c:
            c.attr(label=child[-1], **_cluster_attrs(child[-1]))
            _emit(c, child, tree, shown, attrs, rulers, counter)


def _step_order(prefix):
    """Sort key putting step clusters in time order, other clusters where they first appeared."""
    step = STEP.match(prefix[-1])
    return int(step.group(1)) if step else 0


def _time_step(node):
    """(layer scope, step) of a shown node: in a step scope, a step box or an elision node; else None."""
    if node.kind == "step":
        return node.scope, int(STEP.match(node.name).group(1))
    if node.kind == "elided":
        return node.scope, int(STEP.match(node.steps[0]).group(1))
    prefix = step_prefix(node.scope)
    return None if prefix is None else (prefix[:-1], step_number(prefix))


def _time_rulers(shown):
    """Invisible rulers that keep each layer's steps left to right in time order.

    Left to itself, dot's crossing minimisation may shuffle the step columns,
    and it does not keep the order of invisible edges between clusters. So each
    step (expanded, boxed or elided) gets a marker in its layer's cluster, just
    below the step's last node, and the markers form one same-rank row chained
    by invisible edges, which dot draws left to right. Returns ({layer scope: marker keys}, [rows of keys to chain],
    [(last node, its marker)]); the parameters of each layer are one more row.
    """
    last, params = {}, {}
    for key, node in shown.nodes.items():
        step = _time_step(node)
        if step is not None:
            last[step] = key
        elif node.kind == "param":
            params.setdefault(node.scope, []).append(key)
    rulers, rows, links = {}, {}, []
    for (layer, _), key in sorted(last.items(), key=lambda item: item[0][1]):
        marker = f"ruler_{key}"
        rulers.setdefault(layer, []).append(marker)
        links.append((key, marker))
        rows.setdefault(layer, []).append(marker)
    return rulers, [row for row in list(rows.values()) + list(params.values()) if len(row) > 1], links


def _cluster_attrs(name):
    step = STEP.match(name)
    if step:
        return dict(style="rounded,filled", fillcolor=STEP_FILLS[int(step.group(1)) % 2], color="#b4c2d8",
                    fontsize="10", fontcolor="#3c4a66", labeljust="l")
    return dict(style="rounded,dashed", color="#8a8a8a", fontsize="12", fontcolor="#333333", labeljust="l")


def _node_attrs(node, show_dtype, show_device, scale):
    attrs = dict(STYLE[node.kind])
    attrs["label"] = _label(node, show_dtype, show_device)
    if scale is not None and node.kind != "elided":
        attrs["fillcolor"] = scale.colour(node.grad_norm)
        attrs["fontcolor"] = scale.font_colour(node.grad_norm)
        attrs["tooltip"] = "no gradient" if node.grad_norm is None else f"grad norm {node.grad_norm:.3g}"
        if "filled" not in attrs["style"]:
            attrs["style"] += ",filled"
    return attrs


def _label(node, show_dtype, show_device):
    if node.kind == "elided":
        first, last = node.steps
        s = "s" if node.count != 1 else ""
        return f"... {node.count} step{s} left out ...\\n({first} to {last})"
    if node.kind == "step":
        return f"{node.name}\\n{node.count} ops"
    lines = [_shapes(node.shapes)]
    if show_dtype:
        lines.append(node.dtype)
    if show_device:
        lines.append(node.device)
    if node.kind == "param" or node.symbol:  # bold: parameters and the equations' symbols stand out
        head = node.symbol or node.name
        rest = [node.name] if node.symbol else []
        rest = "".join(f"<BR/>{html.escape(line)}" for line in rest + lines)
        return f"<<B>{html.escape(head)}</B>{rest}>"
    return "\\n".join(node.name.split("\n") + lines)  # DOT's own line break keeps the source one line a node


def _shapes(shapes):
    text = [str(s) if len(s) != 1 else f"({s[0]})" for s in shapes]
    if len(text) > 1 and len(set(text)) == 1:
        return f"{len(text)} x {text[0]}"
    return " ".join(text) if text else "?"


def _edge_attrs(src, scale):
    if src.kind == "param":
        # the parameter's own colour says its (summed) gradient; its edges stay plain
        return dict(color=PARAM_EDGE)
    if scale is not None:
        return scale.edge(src.grad_norm)
    return {}


def _legend(scale):
    cells = "".join(f'<TD BGCOLOR="{c}"><FONT COLOR="{scale.font_colour(n)}">{n:.0e}</FONT></TD>'
                    for n, c in scale.ticks())
    span = len(scale.ticks()) + 1
    return (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">'
            f'<TR><TD COLSPAN="{span}"><B>gradient norm (log scale)</B></TD></TR>'
            f'<TR>{cells}<TD BGCOLOR="{scale.colour(None)}">none</TD></TR></TABLE>>')

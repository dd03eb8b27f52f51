"""to_html: the recorded graph as one self-contained page to explore in a browser.

    tr.viz.to_html(loss, "graph.html", params=model)          # from a tensor
    tr.viz.to_html(tr.viz.draw_graph(loss, collapse=True), "graph.html")   # or a drawing

The page holds dot's SVG layout of `draw_graph`'s drawing, inline, the data of
every drawn node beside it (inline JSON, by the node keys the drawing uses) and
a short script (page/graph.js and page/graph.css, inlined too), so it opens
from disk with no network. In it a reader can

    pan (drag) and zoom (wheel, + and -, 0 to fit) a graph of thousands of nodes
    hover a node: its op, scope, output shapes, dtype, device, value statistics
        and gradient norm
    click a time step (or a node in it): the step's nodes are outlined
    step through the backward pass (buttons; keys right, left, space to play):
        the ops in the order `backward()` visits them (the reverse of
        `topological_order`), each coloured on arrival by the norm of the
        gradient flowing out of it on draw_graph's log scale when that backward
        ran inside `with tr.record_grad_norms():` (one colour for all otherwise);
        a leaf is coloured when the first of its users has run

Value statistics are min, max, mean and the 2-norm ||y|| = sqrt(sum y^2) of
each output y of a node: for an op, recorded while the forward ran inside
`with tr.viz.record_values():` (nodes keep no output arrays, autograd.py); for
a leaf and the root, computed from the tensor when the page is written. A node
without them says "values: not recorded (run the forward inside
tr.viz.record_values())". Gradient norms are those `record_grad_norms()` stored on the ops;
a leaf shows the norm of its .grad. A drawing passed in carries the norms its
graph held when it was drawn: draw it after the backward to see them.

The layout is dot's: without Graphviz installed `to_html` raises
GraphvizMissingError saying how to install it (no layout of our own is
offered, for the reason render.py gives).
"""

import html
import json
import math
import os
import re
import shutil
from importlib import resources

from ..tensor import Tensor
from .draw import draw_graph
from .grad_flow import NO_GRADIENT, LogScale
from .graph import STEP, step_prefix
from .render import INSTALL_HINT
from .values import statistics

STEPPED = ("op", "output", "step", "elided")  # the drawn nodes backward visits (leaves are reached through them)
SUBGRAPH = re.compile(r"^\s*subgraph (\S+) \{\s*$")
NODE_LINE = re.compile(r"^\s*(\w+) \[")  # a node statement in dot source (an edge has "->" after the name)


class GraphvizMissingError(RuntimeError):
    """to_html needs Graphviz's `dot` to lay the graph out, and it is not installed."""


def to_html(tensor_or_graph, path, params=None, collapse=False, elide=None, show_dtype=False,
            show_device=False, rankdir="TB", title=None):
    """Write the interactive page of a graph to `path` (a .html file); returns the path.

    tensor_or_graph  a Tensor (drawn here with `draw_graph` and the options below)
                     or a graphviz.Digraph that `draw_graph` returned (used as drawn)
    params, collapse, elide, show_dtype, show_device, rankdir   as in `draw_graph`
    title            the page's title (default: what the root is and how many nodes)
    """
    if isinstance(tensor_or_graph, Tensor):
        drawing = draw_graph(tensor_or_graph, params=params, show_dtype=show_dtype, show_device=show_device,
                             collapse=collapse, elide=elide, rankdir=rankdir)
    elif hasattr(tensor_or_graph, "traced"):
        drawing = tensor_or_graph
    else:
        raise TypeError(f"to_html: expected a Tensor or a drawing returned by draw_graph, "
                        f"got {type(tensor_or_graph).__name__}")
    path = os.fspath(path)
    data = page_data(drawing)
    if title is None:
        title = f"{_root_name(drawing.traced)}: {len(drawing.traced.nodes)} nodes"
    page = _page(title, _svg(drawing), data)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path


def page_data(drawing):
    """The data the page's script reads, as plain JSON-ready Python.

    nodes     key -> what the tooltip shows (see `_node_data`), plus `reach`: the
              index in `backward` at which the gradient reaches the node
    backward  the keys of the ops (and step boxes) in the order backward visits them
    clusters  dot cluster name -> the time step it draws ("layer / t=3")
    norms_recorded, legend   whether norms were recorded, and the colour scale's ticks
    """
    shown = drawing.traced
    backward = [key for key, node in reversed(shown.nodes.items()) if node.kind in STEPPED]
    reach = {key: i for i, key in enumerate(backward)}
    for src, dst in shown.edges:
        if shown.nodes[src].kind not in STEPPED and dst in reach:
            # a leaf's gradient arrives with the backward of the first of its users
            reach[src] = min(reach.get(src, len(backward)), reach[dst])
    norms_recorded = any(n.grad_norm is not None for n in shown.nodes.values() if n.kind in STEPPED)
    scale = LogScale([n.grad_norm for n in shown.nodes.values()]) if norms_recorded else None
    nodes = {}
    for key, node in shown.nodes.items():
        nodes[key] = _node_data(node, scale)
        nodes[key]["reach"] = reach.get(key)
    legend = [[n, c, scale.font_colour(n)] for n, c in scale.ticks()] if scale else []
    return dict(nodes=nodes, backward=backward, clusters=_step_clusters(drawing), norms_recorded=norms_recorded,
                legend=legend, no_gradient=NO_GRADIENT)


def _node_data(node, scale):
    """One node's tooltip data: op or leaf name, kind, scope, step, shapes, dtype, device,
    values (a list of {min, max, mean, norm} per output, or None when not recorded),
    grad_norm and, with a scale, the fill and font colours its gradient norm gives."""
    data = dict(kind=node.kind, name=node.name, scope=list(node.scope), step=step_id(node),
                shapes=[_shape(s) for s in node.shapes], dtype=node.dtype, device=node.device,
                grad_norm=_number(node.grad_norm), values=_values(node))
    if node.kind in ("step", "elided"):
        data.update(count=node.count, steps=list(node.steps))
    if node.kind in ("param", "input"):
        leaf = node.values[0]() if node.values else None
        data.update(requires_grad=None if leaf is None else bool(leaf.requires_grad))
    if scale is not None:
        data.update(fill=scale.colour(node.grad_norm), font=scale.font_colour(node.grad_norm))
    return data


def step_id(node):
    """The time step a drawn node belongs to, as "layer scope / t=k", or None outside any step."""
    if node.kind == "step":
        return " / ".join(node.scope + (node.name,))
    if node.kind == "elided":
        return None
    prefix = step_prefix(node.scope)
    return None if prefix is None else " / ".join(prefix)


def _values(node):
    """[{min, max, mean, norm}] per output of `node`, or None when they are not known: recorded
    under record_values() (an op), or computed from a tensor still held (a leaf, the root)."""
    if node.kind in ("step", "elided"):
        return None
    stats = []
    for value in node.values:
        if isinstance(value, dict):
            stats.append({k: _number(v) for k, v in value.items()})
            continue
        t = value()
        array = None if t is None else getattr(t, "array", None)
        if array is None:
            return None
        stats.append({k: _number(v) for k, v in statistics(array).items()})
    return stats or None


def _number(x):
    # six significant digits are more than the tooltip shows and keep a large page small;
    # JSON has no NaN or infinity: the page shows these strings as they are
    if x is None:
        return None
    if math.isfinite(x):
        return float(f"{x:.6g}")
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _shape(shape):
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _root_name(shown):
    outputs = [n for n in shown.nodes.values() if n.kind == "output"]
    return f"graph of {outputs[0].name}" if outputs else "graph"


def _step_clusters(drawing):
    """{dot cluster name: step id} for the clusters that draw a time step.

    draw_graph nests one cluster per scope prefix (a cluster d levels deep draws
    scope[:d]), plus a frameless cluster around each step box, so the clusters
    open around a node's statement in the dot source name its scopes."""
    shown, open_clusters, steps = drawing.traced, [], {}
    for line in drawing.body:
        if line.rstrip().endswith("{"):  # a cluster, or an anonymous subgraph (rank=same rows)
            m = SUBGRAPH.match(line)
            open_clusters.append(m.group(1) if m else None)
            continue
        if line.strip() == "}":
            open_clusters.pop()
            continue
        m = NODE_LINE.match(line)
        node = shown.nodes.get(m.group(1)) if m else None
        if node is None:
            continue
        scoped = [name for name in open_clusters if name is not None]
        if node.kind in ("step", "elided"):
            frame = scoped.pop()
            if node.kind == "step":
                steps[frame] = step_id(node)
        for depth, name in enumerate(scoped[:len(node.scope)], 1):
            if STEP.match(node.scope[depth - 1]):
                steps.setdefault(name, " / ".join(node.scope[:depth]))
    return steps


def _svg(drawing):
    """The drawing laid out by dot, as an <svg> element (no XML prolog or doctype)."""
    message = f"to_html: the page is laid out by Graphviz's `dot`, which was not found; {INSTALL_HINT}"
    if shutil.which("dot") is None:
        raise GraphvizMissingError(message)
    from graphviz import ExecutableNotFound
    try:
        svg = drawing.pipe(format="svg", encoding="utf-8")
    except ExecutableNotFound:
        raise GraphvizMissingError(message) from None
    return svg[svg.index("<svg"):]


def _page(title, svg, data):
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    # inside <script> only "</script" could end the block early; these escapes keep it valid JSON
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return PAGE.format(title=html.escape(title), css=_asset("graph.css"), svg=svg, data=text,
                       script=_asset("graph.js"))


def _asset(name):
    text = resources.files(__package__).joinpath("page", name).read_text(encoding="utf-8")
    if "</script" in text or "</style" in text:
        raise ValueError(f"to_html: page/{name} must not contain a closing </script> or </style> tag")
    return text


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{css}</style>
</head>
<body>
<header id="bar">
  <strong id="title">{title}</strong>
  <span class="group">backward
    <button id="first" title="back to the forward view (Home)">&#x25C0;&#x25C0;</button>
    <button id="prev" title="previous node (left arrow; shift: previous time step)">&#x25C0; prev</button>
    <button id="play" title="play / pause (space)">&#x25B6; play</button>
    <button id="next" title="next node (right arrow; shift: next time step)">next &#x25B6;</button>
    <button id="last" title="the whole backward pass (End)">&#x25B6;&#x25B6;</button>
  </span>
  <span class="group">zoom
    <button id="zoom-out" title="zoom out (-)">&minus;</button>
    <button id="zoom-in" title="zoom in (+)">+</button>
    <button id="fit" title="fit the graph to the window (0)">fit</button>
  </span>
  <span id="legend"></span>
  <button id="help-button" title="keys (?)">?</button>
</header>
<div id="status"></div>
<main id="view">
{svg}</main>
<div id="tip" hidden></div>
<aside id="help" hidden>
  <b>Keys</b>
  <table>
    <tr><td>&rarr; / n</td><td>next node of the backward pass (shift: next time step)</td></tr>
    <tr><td>&larr; / p</td><td>previous node (shift: previous time step)</td></tr>
    <tr><td>space</td><td>play / pause the backward pass</td></tr>
    <tr><td>Home / End</td><td>forward view / whole backward pass</td></tr>
    <tr><td>+ / - / 0</td><td>zoom in / out / fit; drag to pan, wheel to zoom</td></tr>
    <tr><td>click</td><td>a time step (or a node in it) to outline it; Esc clears</td></tr>
  </table>
</aside>
<script type="application/json" id="graph-data">{data}</script>
<script>
{script}</script>
</body>
</html>
"""

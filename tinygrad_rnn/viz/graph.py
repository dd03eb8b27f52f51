"""The recorded graph as plain data: what `draw_graph` draws, before any styling.

`trace(root)` walks the very nodes backward walks (iteratively, so 100k-node
graphs are fine) and returns

    nodes   one per op and one per leaf Tensor feeding an op; each knows its
            label parts (name, output shapes, dtype, device), the scope it is
            placed in and, after a backward under `record_grad_norms()`, the
            norm of the gradient flowing out of it, and weak references to the
            tensors holding its outputs (read by `to_html` for value statistics;
            they keep nothing alive)
    edges   (producer, consumer) pairs in the direction data flows

`group(graph, collapse, elide)` then decides what is shown: each time step's
ops as themselves, as one box per step (collapse), or folded away into one
"steps left out" node (elide). Only shapes and names are read, never array
data, so CPU and CuPy graphs are traced alike and nothing leaves the device
(except, for gradient flow, one norm per leaf gradient).
"""

import re
import weakref
from dataclasses import dataclass, field

from .. import backend
from ..autograd import topological_order

STEP = re.compile(r"^t=(-?\d+)$")  # the inner scope the recurrent layers record per time step


@dataclass
class Node:
    key: str
    kind: str                  # "op", "param", "input", "output" (the root when it is an op), "step", "elided"
    name: str                  # op name, parameter name, a state's name (h_0) or "input"
    symbol: str = ""           # what the value is in the module's equations (h_t, i, x_t W_ih^T), when it says
    shapes: list = field(default_factory=list)   # output shapes (one per used output of an op)
    dtype: str = ""
    device: str = ""
    scope: tuple = ()          # the clusters this node is drawn inside, outermost first
    grad_norm: float | None = None
    count: int = 0             # ops inside a collapsed step, steps inside an elision node
    steps: tuple = ()          # first and last step an elision node stands for
    values: tuple = field(default=(), repr=False, compare=False)  # per output: a weak ref to its Tensor or its stats


@dataclass
class Graph:
    nodes: dict                # key -> Node, in topological order (inputs before their users)
    edges: list                # (src key, dst key), no duplicates


def step_prefix(scope):
    """The scope up to and including its time-step tag ("t=7"), or None outside any step."""
    for i, name in enumerate(scope):
        if STEP.match(name):
            return scope[:i + 1]
    return None


def step_number(prefix):
    return int(STEP.match(prefix[-1]).group(1))


def parameter_names(params):
    """{id(tensor): name} from a dict name -> Tensor, a Module, or None."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    if not isinstance(params, dict):
        raise TypeError(f"draw_graph: params must be a dict name -> Tensor or a Module, got {type(params).__name__}")
    return {id(t): name for name, t in params.items() if t is not None}


def trace(root, params=None):
    """The graph recorded below Tensor `root` as plain `Graph` data (see module docstring)."""
    names = parameter_names(params)
    if root._ctx is None:
        node = _leaf_node("leaf0", root, names)
        return Graph({node.key: node}, [])
    order = topological_order(root._ctx)
    # A Function does not know its outputs (no reference cycles), so an op's output
    # shapes and dtypes are read from its consumers' edges (and from root itself).
    outputs = {fn: {} for fn in order}
    outputs[root._ctx][root._index] = (tuple(root.shape), str(root.dtype))
    for fn in order:
        for node, slot, shape, dtype in fn.inputs:
            if node is not None:
                outputs[node].setdefault(slot, (tuple(shape), str(dtype)))
    nodes, edges, keys, leaf_users, devices = {}, [], {}, {}, {}
    for i, fn in enumerate(order):
        key = keys[fn] = f"op{i}"
        outs = [outputs[fn][j] for j in sorted(outputs[fn])]
        devices[fn] = _device(fn, devices, root)
        # an op may name itself for the drawing (a fused recurrent layer: "LSTM layer 0 forward, BPTT by hand")
        nodes[key] = Node(key, "output" if fn is root._ctx else "op", getattr(fn, "label", fn.name),
                          symbol=_symbol(fn, sorted(outputs[fn])),
                          shapes=[shape for shape, _ in outs], dtype=outs[0][1], device=devices[fn],
                          scope=tuple(fn.scope), grad_norm=fn.grad_norm, values=_op_values(fn, root))
        for node, leaf, _, _ in fn.inputs:
            if node is not None:
                edges.append((keys[node], key))
            elif _is_drawn_leaf(leaf, names):
                source = getattr(leaf, "source_id", None) or id(leaf)  # a released node keeps a stand-in
                leaf_users.setdefault(source, (leaf, []))[1].append(key)
    for j, (t, users) in enumerate(leaf_users.values()):
        leaf = _leaf_node(f"leaf{j}", t, names)
        leaf.scope = _common_prefix([nodes[u].scope for u in users])
        if leaf.kind == "param":
            # a parameter is shared by every step: never drawn inside one
            stop = step_prefix(leaf.scope)
            leaf.scope = leaf.scope[:len(stop) - 1] if stop else leaf.scope
        nodes[leaf.key] = leaf
        edges.extend((leaf.key, u) for u in users)
    # leaves first, so a drawing lists the parameters before the ops using them
    nodes = {k: nodes[k] for k in sorted(nodes, key=lambda k: not k.startswith("leaf"))}
    return Graph(nodes, list(dict.fromkeys(edges)))


def _symbol(fn, used):
    """The symbols autograd.symbol gave the used outputs of fn, each once, in output order."""
    names = fn.__dict__.get("symbols") if hasattr(fn, "__dict__") else None
    if not names:
        return ""
    return ", ".join(dict.fromkeys(names[i] for i in used if i in names))


def _op_values(fn, root):
    """What the page can show of an op's outputs: the root's tensor (still held), or the
    statistics recorded under record_values() while the forward ran, else nothing."""
    if fn is root._ctx:
        return (weakref.ref(root),)
    return tuple(getattr(fn, "value_stats", ()))


def _device(fn, devices, root):
    """Where an op ran: a device move's target, else where its first input came from."""
    target = getattr(fn, "device", None)
    if isinstance(target, str):
        return str(target)
    for node, leaf, _, _ in fn.inputs:
        return devices.get(node, str(root.device)) if node is not None else str(leaf.device)
    return str(root.device)


def _is_drawn_leaf(t, names):
    # Python numbers the ops wrapped into 0-d constants (the 1 in `1 - z`) would
    # only clutter the picture; any named, trainable or array leaf is drawn,
    # even one with a single element such as x_t of shape (1, 1).
    return id(t) in names or t.requires_grad or t.name is not None or t.ndim > 0


def _leaf_node(key, t, names):
    name = names.get(id(t)) or t.name
    # a named leaf that wants no gradient is a state or constant the module named (h_0, a dropout mask)
    kind = "param" if id(t) in names or (name is not None and t.requires_grad) else "input"
    grad = None
    if t.grad is not None:
        xp = backend.xp_of(t.grad.array)
        grad = float(xp.linalg.norm(t.grad.array.ravel()))
    return Node(key, kind, name or "input", shapes=[tuple(t.shape)], dtype=str(t.dtype),
                device=str(t.device), grad_norm=grad, values=(weakref.ref(t),))


def _common_prefix(scopes):
    first = scopes[0]
    n = len(first)
    for s in scopes[1:]:
        n = min(n, len(s))
        for i in range(n):
            if s[i] != first[i]:
                n = i
                break
    return first[:n]


def group(graph, collapse=False, elide=None):
    """What is drawn: `graph` with each step shown whole, boxed (collapse) or left out (elide=k).

    elide=k keeps, in each layer (each scope that holds steps), the first k and
    the last k steps and replaces those between with one node; collapse draws
    each remaining step as one box. Edges follow the nodes they join; an edge
    inside one box or one elision node disappears.
    """
    if elide is not None and (not isinstance(elide, int) or isinstance(elide, bool) or elide < 0):
        raise ValueError(f"draw_graph: elide must be a non-negative int (steps kept at each end), got {elide!r}")
    if not collapse and elide is None:
        return graph
    steps = {}  # layer scope -> step prefixes in it
    for node in graph.nodes.values():
        prefix = step_prefix(node.scope)
        if prefix is not None:
            steps.setdefault(prefix[:-1], set()).add(prefix)
    target = {}  # step prefix -> key of the node standing for the whole step
    shown = {}
    for layer, prefixes in steps.items():
        ordered = sorted(prefixes, key=step_number)
        if elide is not None and len(ordered) > 2 * elide:
            middle = ordered[elide:len(ordered) - elide]
            key = f"elided{len(shown)}"
            shown[key] = Node(key, "elided", "", scope=layer, count=len(middle),
                              steps=(middle[0][-1], middle[-1][-1]))
            target.update((p, key) for p in middle)
        if collapse:
            for p in ordered:
                if p not in target:
                    key = target[p] = f"step{len(shown)}"
                    shown[key] = Node(key, "step", p[-1], scope=layer)
    where = {}
    for key, node in graph.nodes.items():
        prefix = step_prefix(node.scope)
        box = target.get(prefix) if prefix is not None else None
        if box is None:
            where[key] = key
            shown[key] = node
        else:
            where[key] = box
            if node.kind in ("op", "output") and shown[box].kind == "step":
                shown[box].count += 1
    _step_norms(graph, where, shown)
    edges = [(where[s], where[d]) for s, d in graph.edges if where[s] != where[d]]
    return Graph(_in_flow_order(shown, graph, where), list(dict.fromkeys(edges)))


def _step_norms(graph, where, shown):
    """A step box's or elision node's gradient norm: that of the states it hands on (see `boundary_norms`)."""
    for box, norm in boundary_norms(graph, where).items():
        if shown[box].kind in ("step", "elided"):
            shown[box].grad_norm = norm


def boundary_norms(graph, where):
    """{group key: sqrt(sum of squared gradient norms of its outputs that leave the group)}.

    `where` maps each node key to its group. For a time step the outputs that
    leave it are the states it hands on (h_t, and c_t for an LSTM), so this is
    ||dL/d(h_t, c_t)||, the quantity that vanishes or explodes across time.
    """
    leaving = {}
    for src, dst in graph.edges:
        if where[src] != where[dst]:
            leaving.setdefault(where[src], set()).add(src)
    for key, node in graph.nodes.items():
        if node.kind == "output" and where[key] != key:
            leaving.setdefault(where[key], set()).add(key)
    norms = {}
    for box, srcs in leaving.items():
        values = [graph.nodes[s].grad_norm for s in srcs]
        if any(v is not None for v in values):
            norms[box] = sum(v * v for v in values if v is not None) ** 0.5
    return norms


def _in_flow_order(shown, graph, where):
    """Shown nodes ordered by the first original node each stands for (so boxes keep time order)."""
    rank = {}
    for i, key in enumerate(graph.nodes):
        rank.setdefault(where[key], i)
    return {k: shown[k] for k in sorted(shown, key=rank.__getitem__)}

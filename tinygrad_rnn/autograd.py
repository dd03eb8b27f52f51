"""Function, the graph it records, and the backward pass that walks it.

A Function is one node of the graph: it knows its input Tensors (never its
outputs, so the graph has no reference cycles and is freed as soon as the last
output is dropped), the arrays it saved for backward, and the scope it was
created in (e.g. ("LSTM layer 0 forward", "t=7")), which the drawing groups
into clusters.

    y = Mul.apply(a, b)        forward on raw arrays, records one node
    y.backward()               topological order built iteratively, then each
                               node's backward, gradients summed into leaves

Backward never recurses, so a graph of a million nodes is fine.
"""

import functools
import threading
import traceback

from . import backend
from .errors import GraphError, OpError
from .tensor import Tensor

_RELEASED = object()  # marks a node whose saved arrays were freed by backward


class _State(threading.local):
    grad_enabled = True
    retaining_graph = False  # during a backward(retain_graph=True)
    scope = ()
    anomaly = False
    record_grad_norms = False


_state = _State()


class Function:
    """Base class of every differentiable op.

    Subclasses implement `forward(*arrays) -> array (or tuple of arrays)` and
    `backward(*grad_outputs) -> one gradient array (or None) per input`.
    Gradients may have the broadcast shape of the output: the engine sums them
    back to each input's shape in one place (`sum_to_shape`). A multi-output op
    receives None for an output that no gradient reached. The gradients it
    receives may be shared with other nodes or be read-only broadcast views:
    backward must never change them in place.
    Keyword arguments of `apply` go to the constructor (e.g. `axis`).
    """

    __slots__ = ("inputs", "needs_grad", "saved", "n_out", "scope", "versions",
                 "retained", "grad_norm", "trace", "__dict__")

    # Ops whose backward never reads an input's values may set this False;
    # then changing an input in place after the forward is harmless.
    checks_versions = True
    # Ops whose output shares memory with their first input (reshape, transpose,
    # basic indexing, split) set this True: an in-place change of the input then
    # counts as a change of the output too (see version_of).
    is_view = False

    def save(self, *arrays):
        """Keep arrays for backward; freed after backward unless retain_graph."""
        self.saved = arrays

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, *grads):
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    @property
    def name(self):
        return type(self).__name__

    @classmethod
    def apply(cls, *inputs, **kwargs):
        """Run the op on Tensors (or scalars) and record it when a gradient is needed.

        This runs once per op, so it is written for speed: one pass over the
        inputs, and no work for the graph when no gradient is needed."""
        fn = cls(**kwargs) if kwargs else cls()
        for t in inputs:
            if not isinstance(t, Tensor):  # a number or array among them: wrap it like its neighbours
                inputs = _as_tensors(inputs, cls.__name__)
                break
        kind = type(inputs[0]._data)  # numpy.ndarray or cupy.ndarray: one type per device
        arrays, needs_grad, versions = [], [], []
        for t in inputs:  # one pass: the arrays, which inputs need a gradient, and their versions
            if type(t._data) is not kind:
                _raise_device_mismatch(cls.__name__, inputs)
            arrays.append(t._data)
            needs_grad.append(t.requires_grad)
            ctx = t._ctx  # version_of(t), inlined for the common case of a tensor that is not a view
            versions.append(t._version if ctx is None or not ctx.is_view else version_of(t))
        fn.saved = ()
        try:
            out = fn.forward(*arrays)
        except OpError:
            raise
        except (ValueError, TypeError, IndexError) as exc:
            raise OpError(f"{cls.__name__}: {exc} (inputs: {_describe(inputs)})") from None

        multi = type(out) is tuple
        outs = out if multi else (out,)
        if type(out) is not kind:  # a NumPy scalar from a full reduction, or a tuple: make them arrays
            outs = tuple(o if backend.is_array(o) else backend.xp_of(arrays[0]).asarray(o) for o in outs)
        state = _state
        if state.anomaly:
            _check_finite(cls.__name__, "forward output", outs, state.scope, None)
        if not (True in needs_grad and state.grad_enabled):
            if multi:
                return tuple(Tensor._make(o) for o in outs)
            return Tensor._make(outs[0])

        fn.inputs = inputs
        fn.needs_grad = tuple(needs_grad)
        fn.n_out = len(outs)
        fn.scope = state.scope
        # versions matter only to ops whose backward reads saved inputs
        fn.versions = tuple(versions) if fn.saved and cls.checks_versions else None
        fn.retained = None
        fn.grad_norm = None
        fn.trace = traceback.extract_stack(limit=12)[:-1] if state.anomaly else None
        if multi:
            return tuple([Tensor._make(o, True, fn, i) for i, o in enumerate(outs)])
        return Tensor._make(outs[0], True, fn, 0)

    def __repr__(self):
        where = "/".join(self.scope) if getattr(self, "scope", None) else ""
        return f"<{self.name}{' @ ' + where if where else ''}>"


def _as_tensors(inputs, op):
    """Inputs as Tensors; a Python scalar takes the dtype and device of a tensor beside it."""
    like = next((x for x in inputs if isinstance(x, Tensor)), None)
    if like is None:
        raise OpError(f"{op}: expected at least one Tensor input, got {[type(x).__name__ for x in inputs]}")
    out = []
    for x in inputs:
        if isinstance(x, Tensor):
            out.append(x)
        elif isinstance(x, (int, float, bool)) or backend.is_array(x) or hasattr(x, "dtype"):
            out.append(Tensor._make(_scalar_like(x, like)))
        else:
            raise OpError(f"{op}: cannot use an input of type {type(x).__name__}; expected a Tensor, array or number")
    return tuple(out)


def _scalar_like(x, like):
    xp = backend.xp_of(like._data)
    if backend.is_array(x):
        return backend.to_device(x, like.device)
    if isinstance(x, backend.np.generic):
        x = x.item()  # a NumPy scalar counts as a Python number: float32 * np.int64(2) stays float32
    if isinstance(x, float) and like.dtype.kind != "f":
        return xp.asarray(x, dtype=backend.float32)
    if isinstance(x, (int, float)) and not isinstance(x, bool) and like.dtype.kind in "fiu":
        return xp.asarray(x, dtype=like.dtype)
    return xp.asarray(x)


def _describe(tensors):
    return ", ".join(f"shape {tuple(t.shape)} {t.dtype} on {t.device}" for t in tensors)


def _raise_device_mismatch(op, tensors):
    devices = [t.device for t in tensors]
    raise backend.DeviceError(
        f"{op}: all inputs must be on the same device, got {', '.join(devices)} "
        f"({_describe(tensors)}); move them with .to(device) first")


def _check_finite(op, what, arrays, scope, trace):
    for i, a in enumerate(arrays):
        if a is None or a.dtype.kind != "f":
            continue
        xp = backend.xp_of(a)
        if not bool(xp.isfinite(a).all()):
            bad = "NaN" if bool(xp.isnan(a).any()) else "inf"
            where = f" in scope {'/'.join(scope)}" if scope else ""
            made = ""
            if trace:
                user = [f for f in trace if "tinygrad_rnn" not in f.filename] or list(trace)
                f = user[-1]
                made = f"; the op was created at {f.filename}:{f.lineno} ({f.line})"
            raise FloatingPointError(f"detect_anomaly: {op} produced {bad} in its {what} "
                                     f"#{i} (shape {tuple(a.shape)}){where}{made}")


def sum_to_shape(grad, shape):
    """Undo broadcasting: sum `grad` down to `shape` (the one place this is done)."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead:
        grad = grad.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def topological_order(root_fn):
    """Every node reachable from `root_fn`, each after all of its inputs (iterative DFS)."""
    order, visited, stack = [], set(), [(root_fn, False)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if fn in visited:
            continue
        visited.add(fn)
        stack.append((fn, True))
        for t in fn.inputs:
            ctx = t._ctx
            if ctx is not None and ctx not in visited:
                stack.append((ctx, False))
    return order


def run_backward(root, grad, retain_graph=False):
    """Backpropagate from `root` (a Tensor) with output gradient `grad` (an array)."""
    old, _state.retaining_graph = _state.retaining_graph, retain_graph
    try:
        _run_backward(root, grad, retain_graph)
    finally:
        _state.retaining_graph = old


def is_retaining_graph():
    """True inside a backward(retain_graph=True): an op's backward must then leave
    its saved arrays as they are; otherwise it may overwrite them (they are freed next)."""
    return _state.retaining_graph


def _run_backward(root, grad, retain_graph):
    if root._ctx is None:
        _accumulate_leaf(root, grad)
        return
    grads = {root._ctx: [None] * root._ctx.n_out}
    grads[root._ctx][root._index] = grad
    anomaly, record = _state.anomaly, _state.record_grad_norms
    for fn in reversed(topological_order(root._ctx)):
        gouts = grads.pop(fn, None)
        if gouts is None:
            continue  # no path from root's gradient reaches this node
        if fn.saved is _RELEASED:
            raise GraphError(
                f"backward: {fn.name}{' in ' + '/'.join(fn.scope) if fn.scope else ''} was already "
                "backpropagated and its saved arrays freed; call backward(retain_graph=True) "
                "the first time to backpropagate through the same graph twice")
        if fn.versions is not None:  # recorded by apply when backward reads saved inputs
            _check_versions(fn)
        if fn.retained is not None:
            for i, ref in fn.retained.items():
                t = ref()
                if t is not None and gouts[i] is not None:
                    t.grad = Tensor._make(gouts[i])
        if record:
            xp = backend.xp_of(next(g for g in gouts if g is not None))
            fn.grad_norm = float(sum(float(xp.linalg.norm(g.ravel())) ** 2 for g in gouts if g is not None)) ** 0.5
        fn.retain_graph = retain_graph  # False: this is the node's last backward, its saved arrays may be reused
        if fn.n_out == 1:
            in_grads = fn.backward(gouts[0])
        else:
            in_grads = fn.backward(*gouts)
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        if not retain_graph:
            fn.saved = _RELEASED
        if anomaly:
            _check_finite(fn.name, "backward gradient", in_grads, fn.scope, fn.trace)
        for t, g, need in zip(fn.inputs, in_grads, fn.needs_grad):
            if g is None or not need:
                continue
            if g.shape != t._data.shape:
                g = sum_to_shape(g, t._data.shape)
            ctx = t._ctx
            if ctx is None:
                _accumulate_leaf(t, g)
                continue
            slots = grads.get(ctx)
            if slots is None:
                slots = grads[ctx] = [None] * ctx.n_out
            i = t._index
            slots[i] = g if slots[i] is None else slots[i] + g


def _accumulate_leaf(t, g):
    if not t.requires_grad:
        return
    if t.grad is None:
        # a copy the leaf owns: `g` may be the very array another leaf gets
        # (Add hands `g` to both inputs) or a read-only broadcast view
        t.grad = Tensor._make(g.astype(t._data.dtype))
    else:
        # out of place: the user may hold the old .grad array
        total = t.grad._data + g
        t.grad._data = total if total.dtype == t._data.dtype else total.astype(t._data.dtype)


def version_of(t):
    """How often t's memory was changed in place: its own counter, or, for a
    view (w.T, x[0], x.reshape(...)), the counter of the tensor it was taken from."""
    ctx = t._ctx
    while ctx is not None and ctx.is_view:
        t = ctx.inputs[0]
        ctx = t._ctx
    return t._version


def _check_versions(fn):
    for i, (t, v) in enumerate(zip(fn.inputs, fn.versions)):
        ctx = t._ctx  # version_of(t), inlined for the common case of a tensor that is not a view
        if (t._version if ctx is None or not ctx.is_view else version_of(t)) != v:
            raise GraphError(
                f"backward: input #{i} of {fn.name}{' in ' + '/'.join(fn.scope) if fn.scope else ''} "
                f"(shape {tuple(t.shape)}) was modified in place after the forward pass "
                f"(version {v} -> {version_of(t)}), so its gradient would be wrong; "
                "run the forward again after changing it (e.g. call optimizer.step() after backward)")


class _Flag:
    """Context manager (or function decorator) setting one field of the thread-local state."""

    def __init__(self, field, value):
        self.field, self.value = field, value

    def __call__(self, func):
        @functools.wraps(func)
        def with_flag(*args, **kwargs):
            with _Flag(self.field, self.value):
                return func(*args, **kwargs)
        return with_flag

    def __enter__(self):
        self.old = getattr(_state, self.field)
        setattr(_state, self.field, self.value)
        return self

    def __exit__(self, *exc):
        setattr(_state, self.field, self.old)


def no_grad():
    """`with no_grad():` (or `@no_grad()` on a function) records no graph at all (this thread only)."""
    return _Flag("grad_enabled", False)


def enable_grad():
    return _Flag("grad_enabled", True)


def is_grad_enabled():
    return _state.grad_enabled


def detect_anomaly():
    """`with detect_anomaly():` checks every op's forward output and backward
    gradients for NaN/inf and raises at the first one, naming the op, its scope
    and where it was created. Off by default, when nothing is checked."""
    return _Flag("anomaly", True)


def is_anomaly_enabled():
    """True inside `detect_anomaly()`: ops that loop over time steps check each step themselves."""
    return _state.anomaly


def record_grad_norms():
    """`with record_grad_norms(): loss.backward()` stores on every node the norm
    of the gradient flowing out of it (`fn.grad_norm`), for gradient-flow drawings."""
    return _Flag("record_grad_norms", True)


class scope:
    """`with scope("LSTM layer 0 forward"), scope("t=3"): ...` tags every node
    created inside with the nested names; the graph drawing groups by them."""

    def __init__(self, name):
        self.name = str(name)

    def __enter__(self):
        self.old = _state.scope
        _state.scope = self.old + (self.name,)
        return self

    def __exit__(self, *exc):
        _state.scope = self.old


def step_scopes(steps):
    """`for t in step_scopes(range(T)):` tags the nodes made in each iteration with
    the scope "t={t}", as `with scope(f"t={t}")` inside the loop would, at a third
    of its cost per step; the outer scope is restored however the loop ends."""
    outer = _state.scope
    try:
        for t in steps:
            _state.scope = outer + (f"t={t}",)
            yield t
    finally:
        _state.scope = outer


def current_scope():
    return _state.scope

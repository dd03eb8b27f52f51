"""Function, the graph it records, and the backward pass that walks it.

A Function is one node of the graph. For each input it keeps an *edge*, the
place the input's gradient goes, captured when the node is made:

    fn.inputs[i] = (node, slot, shape, dtype)
        node   the Function that produced input i, and slot which of its outputs it was;
        None   for a leaf, and slot is then the leaf Tensor itself
        shape  input i's shape, to undo broadcasting (sum_to_shape); dtype, to draw it

A node never knows its outputs, so the graph has no reference cycles and is
freed as soon as the last output is dropped. Edges point at nodes, not at
tensors, because a tensor changed in place later gets a new node of its own;
the nodes that read its old value must keep pointing at the old one.

    y = Mul.apply(a, b)        forward on raw arrays, records one node
    y.backward()               topological order built iteratively, then each
                               node's backward, gradients summed into leaves

What a backward needs it keeps in `fn.saved` (arrays only). For each saved
array that is an input or an output of the node, apply notes the version of
that tensor's storage; backward raises if it moved (the value was changed in
place, so the gradient would be wrong). After a backward without
retain_graph, `release()` drops the saved arrays and the constants among the
inputs: what remains is the graph's structure (ops, shapes, scopes, gradient
norms), enough to draw it, and no activations.

Backward never recurses, so a graph of a million nodes is fine. This file
imports nothing of tensor.py: a Tensor is made with `inputs[0]._make(...)`, so
there is no import cycle.
"""

import functools
import threading
import traceback

from . import backend
from .errors import GraphError, OpError

_RELEASED = object()  # marks a node whose saved arrays were freed by backward


class _State(threading.local):
    grad_enabled = True
    scope = ()
    anomaly = False
    record_grad_norms = False
    observer = None  # observe(): called with each recorded node and its output arrays


_state = _State()


class Function:
    """Base class of every differentiable op.

    Subclasses implement `forward(*arrays) -> array (or tuple of arrays)` and
    `backward(*grad_outputs) -> one gradient array (or None) per input`, both
    on raw arrays. `self.needs_grad[i]` says, already during forward, whether
    input i wants a gradient, so forward can save only what backward will use.
    Gradients may have the broadcast shape of the output: the engine sums them
    back to each input's shape in one place (`sum_to_shape`). A multi-output op
    receives None for an output that no gradient reached. The gradients it
    receives may be shared with other nodes or be read-only broadcast views:
    backward must never change them in place. `self.retain_graph` is False
    during the node's last backward, when it may overwrite its own saved arrays.
    Keyword arguments of `apply` go to the constructor (e.g. `axis`).
    """

    __slots__ = ("inputs", "needs_grad", "saved", "n_out", "scope", "versions", "hooks", "grad_norm",
                 "trace", "retain_graph", "__dict__")

    # Ops whose output may share memory with their first input (reshape, transpose,
    # basic indexing, split) set this True: an output that does is a view, sharing the
    # input's version counter, so a change through either is seen by both.
    is_view = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for method in ("forward", "backward"):
            if isinstance(cls.__dict__.get(method), staticmethod):
                raise TypeError(
                    f"{cls.__name__}.{method} is a @staticmethod taking ctx, as in torch.autograd.Function. "
                    f"Here a Function is an object and works on raw arrays: write `def forward(self, *arrays)` "
                    f"(keep what backward needs with self.save(...)) and `def backward(self, *grads)` returning "
                    f"one array (or None) per input, then call {cls.__name__}.apply(*tensors). See tutorial 8.")

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
        """Run the op on Tensors and record it when a gradient is needed.

        This runs once per op, so it is written for speed: one pass over the
        inputs, and no work for the graph when no gradient is needed."""
        fn = cls(**kwargs) if kwargs else cls()
        record = _state.grad_enabled
        arrays, needs_grad, edges = [], [], []
        try:
            kind = type(inputs[0]._data)  # numpy.ndarray or cupy.ndarray: one type per device
        except (AttributeError, IndexError):
            kind = None
        for t in inputs:  # one pass: the arrays, the device check, which need a gradient, the edges
            try:
                a = t._data
            except AttributeError:  # a number or array among them: wrap it like its neighbours
                return cls.apply(*_as_tensors(inputs, cls.__name__), **kwargs)
            if type(a) is not kind:
                if kind is None:
                    return cls.apply(*_as_tensors(inputs, cls.__name__), **kwargs)
                _raise_device_mismatch(cls.__name__, inputs)
            arrays.append(a)
            if record:
                view = t._view
                if view is not None and view[0]._ctx is not view[2] and view[3]:
                    refresh_view(t)  # its base changed in place through another view since
                ctx = t._ctx
                edges.append((ctx, t._index, a.shape, a.dtype) if ctx is not None else (None, t, a.shape, a.dtype))
                needs_grad.append(t.requires_grad)
            else:
                needs_grad.append(False)
        fn.needs_grad = needs_grad
        fn.saved = ()
        try:
            out = fn.forward(*arrays)
        except OpError:
            raise
        except (ValueError, TypeError, IndexError) as exc:  # raised by the array library inside the op
            raise OpError(f"{cls.__name__}: {exc} (inputs: {_describe(inputs)})") from exc

        multi = type(out) is tuple
        outs = out if multi else (out,)
        if type(out) is not kind:  # a NumPy scalar from a full reduction, or a tuple: make them arrays
            outs = tuple(o if backend.is_array(o) else backend.xp_of(arrays[0]).asarray(o) for o in outs)
        state = _state
        if state.anomaly:
            _check_finite(cls.__name__, "forward output", outs, state.scope, None)
        make = inputs[0]._make
        # integer and boolean results (casts, comparisons, argmax) carry no gradient
        recorded = True in needs_grad and (outs[0].dtype.kind in "fc" or any(o.dtype.kind in "fc" for o in outs))
        if recorded:
            fn.inputs = tuple(edges)
            fn.needs_grad = tuple(needs_grad)
            fn.n_out = len(outs)
            fn.scope = state.scope
            fn.hooks = None
            fn.grad_norm = None
            fn.trace = traceback.extract_stack(limit=12)[:-1] if state.anomaly else None
            if not multi and cls.is_view is False:  # the common case: one output, nothing to share
                result = make(outs[0], True, fn)
                fn.versions = _saved_versions(fn.saved, inputs, arrays, (result,)) if fn.saved else None
                if state.observer is not None:
                    state.observer(fn, outs)
                return result
            results = [make(o, True, fn, i) if o.dtype.kind in "fc" else make(o) for i, o in enumerate(outs)]
        else:
            results = [make(o) for o in outs]
        if cls.is_view:
            _share_storage(fn, inputs[0], results)
        if recorded:
            fn.versions = _saved_versions(fn.saved, inputs, arrays, results) if fn.saved else None
            if state.observer is not None:
                state.observer(fn, outs)
        return tuple(results) if multi else results[0]

    def release(self):
        """After the last backward: drop the saved arrays, any array kept as an attribute and the
        constant inputs; keep the structure (op, edges, shapes, scope, gradient norm) for drawing."""
        self.saved = _RELEASED
        self.versions = None  # the version records guard saved arrays, and none are left
        attributes = self.__dict__
        if attributes:
            for key in [k for k, v in attributes.items() if backend.is_array(v)]:
                del attributes[key]
        if False in self.needs_grad:  # only an input that needs no gradient can be a constant to let go
            self.inputs = tuple([(node, ConstantInput(slot), shape, dtype)
                                 if node is None and not need and not isinstance(slot, ConstantInput)
                                 else (node, slot, shape, dtype)
                                 for (node, slot, shape, dtype), need in zip(self.inputs, self.needs_grad)])

    def __repr__(self):
        where = "/".join(self.scope) if getattr(self, "scope", None) else ""
        return f"<{self.name}{' @ ' + where if where else ''}>"


class ConstantInput:
    """What a released node remembers of an input that needed no gradient: how to draw it."""

    __slots__ = ("shape", "dtype", "device", "name", "requires_grad", "grad", "_ctx", "source_id", "__weakref__")

    def __init__(self, t):
        self.shape, self.dtype, self.device, self.name = t.shape, t.dtype, t.device, t.name
        self.requires_grad, self.grad, self._ctx, self.source_id = False, None, None, id(t)

    @property
    def ndim(self):
        return len(self.shape)


def memory_owner(a):
    """The array that owns a's memory (a itself, or the array a view was taken from)."""
    base = a.base
    return a if base is None or not backend.is_array(base) else base


_root = memory_owner


def _share_storage(fn, source, results):
    """A view op's outputs that share the source's memory share its version counter too, and
    remember their base and the chain of view ops from it (to write through them, inplace.py)."""
    root = _root(source._data)
    if source._view is not None:
        base, chain, _, differentiable = source._view
    else:
        base, chain, differentiable = source, (), _state.grad_enabled
    for k, t in enumerate(results):
        if _root(t._data) is root:
            t._counter = source._counter
            t._view = (base, chain + ((fn, k),), base._ctx, differentiable)


def replay(chain, array):
    """The view that `chain` ((view op, output index), ...) took of its base, taken of `array`."""
    for op, k in chain:
        array = op.view(array, k)
    return array


class ViewOf(Function):
    """out = the view `chain` of a base, taken again after the base was changed in place;
    d base = zeros with the view of it set to g."""

    is_view = True

    def __init__(self, chain):
        self.chain = chain

    def forward(self, base):
        self.shape = base.shape
        return replay(self.chain, base)

    def backward(self, g):
        db = backend.xp_of(g).zeros(self.shape, dtype=g.dtype)
        replay(self.chain, db)[...] = g
        return db

    def view(self, array, k=0):
        return replay(self.chain, array)


def refresh_view(t):
    """Point view t at its base's current node when the base was changed in place through
    another view since t was taken (as PyTorch regenerates a view's grad_fn)."""
    base, chain, _, differentiable = t._view
    fresh = ViewOf.apply(base, chain=chain)
    t._ctx, t._index, t.requires_grad = fresh._ctx, fresh._index, fresh.requires_grad
    t._view = (base, chain, base._ctx, differentiable)


def _saved_versions(saved, inputs, arrays, results):
    """(which, shape, counter, version) for each input and output whose memory a saved array holds."""
    roots = {id(_root(s)) for s in saved if backend.is_array(s)}
    versions = [(f"input #{i}", a.shape, t._counter, t._counter.value)
                for i, (t, a) in enumerate(zip(inputs, arrays)) if id(_root(a)) in roots]
    versions += [(f"output #{k}", t._data.shape, t._counter, t._counter.value)
                 for k, t in enumerate(results) if id(_root(t._data)) in roots]
    return tuple(versions) or None


def _as_tensors(inputs, op):
    """Inputs as Tensors; a Python scalar takes the dtype and device of a tensor beside it."""
    like = next((x for x in inputs if hasattr(x, "_ctx")), None)
    if like is None:
        raise OpError(f"{op}: expected at least one Tensor input, got {[type(x).__name__ for x in inputs]}")
    out = []
    for x in inputs:
        if hasattr(x, "_ctx"):
            out.append(x)
        elif isinstance(x, (int, float, bool)) or backend.is_array(x) or hasattr(x, "dtype"):
            out.append(like._make(_scalar_like(x, like._data)))
        else:
            raise OpError(f"{op}: cannot use an input of type {type(x).__name__}; expected a Tensor, array or number")
    return tuple(out)


def _scalar_like(x, like):
    """A number or array as an array on the device of `like`; a Python number takes like's dtype."""
    xp = backend.xp_of(like)
    if backend.is_array(x):
        return backend.to_device(x, backend.device_of(like))
    if isinstance(x, backend.np.generic):
        x = x.item()
    if isinstance(x, float) and like.dtype.kind != "f":
        return xp.asarray(x, dtype=backend.default_float())
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


def check_same_device(op, tensors):
    """Raise the library's DeviceError unless every tensor is on one device."""
    kind = type(tensors[0]._data)
    if any(type(t._data) is not kind for t in tensors):
        _raise_device_mismatch(op, tensors)


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


def add_hook(node, index, hook):
    """Call hook(gradient array) when backward reaches output `index` of `node`; an array it
    returns replaces that gradient."""
    if node.hooks is None:
        node.hooks = {}
    node.hooks.setdefault(index, []).append(hook)


def sum_to_shape(grad, shape):
    """Undo broadcasting: sum `grad` down to `shape` (the one place this is done).

    y = x + b with b: (H,) and x: (B, H) uses b B times, so dL/db adds the B rows of dL/dy."""
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
        for node, _, _, _ in fn.inputs:
            if node is not None and node not in visited:
                stack.append((node, False))
    return order


def run_backward(root, grad, retain_graph=False):
    """Backpropagate from `root` (a Tensor) with output gradient `grad` (an array)."""
    if root._ctx is None:
        _accumulate_leaf(root, grad)
        return
    grads = {root._ctx: [None] * root._ctx.n_out}
    grads[root._ctx][root._index] = grad
    anomaly, record = _state.anomaly, _state.record_grad_norms
    kind = type(grad)
    for fn in reversed(topological_order(root._ctx)):
        gouts = grads.pop(fn, None)
        if gouts is None:
            continue  # no path from root's gradient reaches this node
        if fn.saved is _RELEASED:
            raise GraphError(
                f"backward: {fn.name}{' in ' + '/'.join(fn.scope) if fn.scope else ''} was already "
                "backpropagated and its saved arrays freed; call backward(retain_graph=True) "
                "the first time to backpropagate through the same graph twice")
        if fn.versions is not None:  # recorded by apply for the inputs and outputs backward reads
            _check_versions(fn)
        if fn.hooks is not None:  # retain_grad, register_hook: see the gradient of an output, or replace it
            for i, hooks in fn.hooks.items():
                for hook in hooks:
                    if gouts[i] is not None:
                        changed = hook(gouts[i])
                        gouts[i] = gouts[i] if changed is None else changed
        if record:
            xp = backend.xp_of(next(g for g in gouts if g is not None))
            fn.grad_norm = float(sum(float(xp.linalg.norm(g.ravel())) ** 2 for g in gouts if g is not None)) ** 0.5
        fn.retain_graph = retain_graph  # False: this is the node's last backward, its saved arrays may be reused
        in_grads = fn.backward(gouts[0]) if fn.n_out == 1 else fn.backward(*gouts)
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        if len(in_grads) != len(fn.inputs):
            raise GraphError(f"backward: {fn.name}.backward returned {len(in_grads)} gradient(s) for "
                             f"{len(fn.inputs)} input(s); return one array (or None) per input of forward")
        if anomaly:
            _check_finite(fn.name, "backward gradient", in_grads, fn.scope, fn.trace)
        for i, ((node, slot, shape, _), g, need) in enumerate(zip(fn.inputs, in_grads, fn.needs_grad)):
            if g is None or not need:
                continue
            if type(g) is not kind and not backend.is_array(g):  # (a gradient may change device: ToDevice)
                g = _as_gradient_array(fn, i, g)
            if g.shape != shape:
                g = _summed_back(fn, i, g, shape)
            if node is None:
                _accumulate_leaf(slot, g)
                continue
            slots = grads.get(node)
            if slots is None:
                slots = grads[node] = [None] * node.n_out
            slots[slot] = g if slots[slot] is None else slots[slot] + g
        if not retain_graph:
            fn.release()


def _as_gradient_array(fn, i, g):
    """A gradient that is not an array: a NumPy scalar (a 0-d product) becomes one; anything
    else (often from a user's own op) is an error saying which and why."""
    if isinstance(g, backend.np.generic):
        return backend.np.asarray(g)
    if hasattr(g, "_ctx"):
        raise GraphError(f"backward: {fn.name}.backward returned a Tensor as the gradient of input #{i}; "
                         "backward works on raw arrays: return the array (e.g. g * x with x from self.saved), "
                         "not a Tensor")
    raise GraphError(f"backward: {fn.name}.backward returned a {type(g).__name__} as the gradient of input #{i}; "
                     f"expected an array of shape {fn.inputs[i][2]} (or None)")


def _summed_back(fn, i, g, shape):
    try:
        return sum_to_shape(g, shape)
    except ValueError:
        raise GraphError(f"backward: {fn.name}.backward returned a gradient of shape {tuple(g.shape)} for input "
                         f"#{i} of shape {tuple(shape)}; it must have the input's shape or one that broadcasting "
                         "the input could give") from None


def _accumulate_leaf(t, g):
    if not t.requires_grad:
        return
    if t.grad is None:
        # a copy the leaf owns: `g` may be the very array another leaf gets
        # (Add hands `g` to both inputs) or a read-only broadcast view
        t.grad = t._make(g.astype(t._data.dtype))
        return
    grad = t.grad
    held = grad._data
    if type(held) is backend.np.ndarray and held.shape == g.shape and held.flags.writeable:
        # in place, as PyTorch: a Tensor held from p.grad sees the sum
        backend.np.add(held, g, out=held, casting="unsafe")
    elif type(held) is not backend.np.ndarray and held.shape == g.shape and 0 not in held.strides:
        backend.xp_of(held).add(held, g, out=held, casting="unsafe")  # (CuPy has no read-only arrays)
    else:
        t.grad = t._make((held + g).astype(t._data.dtype))
        return
    grad._counter.value += 1


def _check_versions(fn):
    for which, shape, counter, version in fn.versions:
        if counter.value != version:
            raise GraphError(
                f"backward: {which} of {fn.name}{' in ' + '/'.join(fn.scope) if fn.scope else ''} "
                f"(shape {tuple(shape)}) was modified in place after the "
                f"forward pass (version {version} -> {counter.value}), so its gradient would be wrong. Hint: run "
                "the forward again after changing it (e.g. call optimizer.step() after backward), or change a "
                ".clone() of it instead")


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


def set_grad_enabled(mode):
    """`with set_grad_enabled(False):` as no_grad(), `True` as enable_grad()."""
    return _Flag("grad_enabled", bool(mode))


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


def observe(callback):
    """`with observe(f):` calls f(node, output arrays) for every node recorded inside (the
    drawing keeps value statistics this way, viz.record_values)."""
    return _Flag("observer", callback)


def is_recording_grad_norms():
    """True inside `record_grad_norms()`: ops that loop over time steps keep each step's norm too."""
    return _state.record_grad_norms


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


def symbol(t, text):
    """Name the value `t` holds after a docstring's symbol ("h_t", "i", "x_t W_ih^T"), for
    drawings; returns t. t is a tensor the caller has just computed: the name goes on the node
    that made it (per output, for an op with several), or, when no node was recorded (nothing
    it came from needs a gradient), on the new tensor itself, which the drawing shows as an input."""
    fn = t._ctx
    if fn is None:
        if t.name is None:
            t.name = text
        return t
    names = fn.__dict__.get("symbols")
    if names is None:
        names = fn.symbols = {}
    names[t._index] = text
    return t

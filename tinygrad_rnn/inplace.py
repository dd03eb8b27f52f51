"""In-place changes, PyTorch's way: x.add_(y), x[i] = v, x.data.mul_(0.5), p -= lr * p.grad.

Four rules keep every gradient right.

1. One version counter per storage. Tensors that share memory (views: x[0],
   x.view(...), x.t(), split pieces; x.detach(); x.data) share one `Version`;
   every in-place change adds one. A node that saved an input or an output
   notes its version, and backward refuses when it moved (autograd.py).

2. Outside the graph an in-place op is the array operation itself, on the
   storage, then the counter moves: under no_grad(), or when neither the tensor
   nor an operand requires grad. This is how optimizers update parameters.

3. Inside the graph, `x.mul_(y)` is recorded as `x = mul(x, y)`:
     - the op runs out of place on x's current value, as an ordinary node whose
       edge points at x's current producer;
     - its result is written into x's storage, and the version moves;
     - x is re-pointed at the new node: later ops read the new value, and the
       nodes made before keep their edges to the old producer.
   A saved array of the new node that *is* x's storage (mul_ keeps x's old
   value for y's gradient) is replaced by a private copy, since the write is
   about to overwrite it. A leaf that requires grad refuses: its .grad is the
   gradient with respect to the value it had. Change it under no_grad().

4. A view v of a base b (v = b[0], b.view(...)): changing v changes b. The
   result r is written into b's memory through the view; b is re-pointed at
   ViewUpdate(b_old, r), whose gradient sends g outside the view to b_old and
   the view of g to r; v is re-pointed at ViewOf(b), the same view taken again.
   Other views of b notice that b moved the next time an op reads them
   (autograd.refresh_view).
"""

from . import backend
from .autograd import ViewOf, is_grad_enabled, memory_owner
from .errors import GraphError, OpError
from .ops.write import ViewUpdate


def update(target, name, compute, *operands, raw, **kwargs):
    """target <- compute(target, *operands, **kwargs), in place; returns target.

    name: the in-place method, for messages ("add_");
    compute: makes the new value out of place from Tensors, as ordinary nodes (rule 3, 4),
        e.g. ops.Add.apply;
    raw(array, *operands): the same change made directly on target's array (rule 2),
        operands given as arrays (for tensors) or Python numbers."""
    check_writable(target, name)
    if not (is_grad_enabled() and (target.requires_grad or any(getattr(o, "requires_grad", False)
                                                                 for o in operands))):
        try:
            raw(target._data, *[o._data if hasattr(o, "_data") else o for o in operands])
        except (TypeError, ValueError) as exc:  # a float result into an integer tensor, shapes that do not fit
            raise OpError(f"{name}: {exc} (tensor of shape {tuple(target.shape)}, dtype {target.dtype})") from None
        target._counter.value += 1
        return target
    refuse_leaf(target, name)
    result = compute(snapshot(target), *operands, **kwargs)
    keep_private_copies(result, target)
    write_and_repoint(target, result)
    return target


def check_writable(target, op):
    a = target._data
    if not getattr(a.flags, "writeable", True) or any(s == 0 and n > 1 for s, n in zip(a.strides, a.shape)):
        raise OpError(f"{op}: this tensor (shape {tuple(a.shape)}) is an expanded view in which several elements "
                      "share one memory location, so it cannot be changed in place; change a .clone() of it")


def refuse_leaf(target, op):
    """Rule 3's refusal for leaves that require grad (and views of them) while recording."""
    view = target._view
    if view is None:
        if target._ctx is None and target.requires_grad:
            raise GraphError(f"{op}: a leaf tensor that requires grad (shape {tuple(target.shape)}) cannot be "
                             "changed in place while the graph is recorded: its .grad would no longer match its "
                             "value. Change it under `with tr.no_grad():` (as an optimizer does), or a .clone()")
        return
    base, _, _, differentiable = view
    if base._ctx is None and base.requires_grad:
        raise GraphError(f"{op}: a view of a leaf tensor that requires grad (base shape {tuple(base.shape)}) "
                         "cannot be changed in place while the graph is recorded; use `with tr.no_grad():`")
    if not differentiable and base.requires_grad:
        raise GraphError(f"{op}: this view was taken under no_grad() and is changed in place with the graph "
                         "recorded, so the change cannot reach its base's gradient; take the view outside "
                         "no_grad(), or change it under no_grad() too")


def snapshot(t):
    """A second Tensor on t's storage, with t's current place in the graph: what the op reads."""
    s = t._make(t._data, t.requires_grad, t._ctx, t._index)
    s._counter, s._view = t._counter, t._view
    return s


def keep_private_copies(result, target):
    """The new node must not keep target's storage itself: the write would change its saved value."""
    fn = result._ctx
    if fn is None or not fn.saved:
        return
    owner = memory_owner(target._data)
    if any(backend.is_array(s) and memory_owner(s) is owner for s in fn.saved):
        fn.saved = tuple(s.copy() if backend.is_array(s) and memory_owner(s) is owner else s for s in fn.saved)
        versions = tuple(v for v in fn.versions or () if v[2] is not target._counter)
        fn.versions = versions or None


def write_and_repoint(target, result):
    """Write result into target's storage and make target stand for result in the graph (rule 3, 4)."""
    if target._view is None:
        if result._data is not target._data:
            try:
                backend.xp_of(target._data).copyto(target._data, result._data, casting="same_kind")
            except TypeError as exc:
                raise OpError(f"in-place op: {exc} (tensor of dtype {target.dtype})") from None
        target._counter.value += 1
        target._ctx, target._index, target.requires_grad = result._ctx, result._index, result.requires_grad
        return
    base, chain, _, differentiable = target._view
    written = result._data is target._data
    updated = ViewUpdate.apply(snapshot(base), result, chain=chain, written=written)
    base._counter.value += 1
    base._ctx, base._index, base.requires_grad = updated._ctx, updated._index, updated.requires_grad
    view = ViewOf.apply(base, chain=chain)
    target._ctx, target._index, target.requires_grad = view._ctx, view._index, view.requires_grad
    target._view = (base, chain, base._ctx, differentiable)


def reshape_in_place(target, new):
    """unsqueeze_, squeeze_, t_: target takes the new shape (new: the view op's result, sharing memory)."""
    target._data = new._data
    if target._ctx is not None:  # a leaf stays a leaf, its .grad taking the new shape
        target._ctx, target._index = new._ctx, new._index
    if target._view is not None:  # still a view of the same base, one view op further
        target._view = new._view
    return target

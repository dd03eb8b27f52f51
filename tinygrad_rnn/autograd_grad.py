"""torch.autograd.grad: the gradients of outputs with respect to given inputs, returned as a tuple
and never added to any .grad (the .grad of every leaf is as it was before the call).

    (dx, dw) = tr.autograd.grad(loss, (x, w))             d loss / d x, d loss / d w
    tr.autograd.grad(y, x, grad_outputs=g)                 g^T (d y / d x), for a y of any shape

It runs the ordinary backward: each leaf's .grad is set aside, backward fills fresh ones, the
inputs' are read (a non-leaf input's by a one-shot hook), and the old .grad come back. First order
only: create_graph=True (a gradient to differentiate again) is refused, as by backward.
"""

from .autograd import add_hook, topological_order
from .errors import GraphError


def _leaves(roots):
    """Every leaf Tensor that the graphs of `roots` reach."""
    leaves, seen = {}, set()
    for root in roots:
        if root._ctx is None:
            leaves[id(root)] = root
            continue
        for fn in topological_order(root._ctx):
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            for node, slot, _, _ in fn.inputs:
                if node is None and getattr(slot, "requires_grad", False) and hasattr(slot, "_data"):
                    leaves[id(slot)] = slot
    return list(leaves.values())


def _one_shot(captured, i):
    """A hook keeping the first gradient it sees as captured[i]; later backwards pass through."""
    def keep(g):
        if i not in captured:
            captured[i] = g.copy()
    return keep


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         materialize_grads=False):
    if create_graph:
        raise GraphError("autograd.grad: create_graph=True (gradients of gradients) is not supported; this "
                         "engine's backward works on raw arrays")
    outputs = [outputs] if hasattr(outputs, "_data") else list(outputs)
    inputs = (inputs,) if hasattr(inputs, "_data") else tuple(inputs)
    if grad_outputs is None or hasattr(grad_outputs, "_data"):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise GraphError(f"autograd.grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for i, t in enumerate(inputs):
        if not getattr(t, "requires_grad", False):
            raise GraphError(f"autograd.grad: input #{i} (shape {tuple(t.shape)}) does not require grad; "
                             "create it with requires_grad=True")
    for i, t in enumerate(outputs):
        if not t.requires_grad:
            raise GraphError(f"autograd.grad: output #{i} does not require grad and has no graph")

    captured = {}
    for i, t in enumerate(inputs):
        if t._ctx is not None:  # a non-leaf: its gradient, when backward reaches it, once
            add_hook(t._ctx, t._index, _one_shot(captured, i))
    leaves = _leaves(outputs)
    held = [(t, t.grad) for t in leaves]
    try:
        for t in leaves:
            t.grad = None
        if len(outputs) == 1:
            outputs[0].backward(grad_outputs[0], retain_graph=retain_graph)
        else:  # one backward for all: sum of <output, its grad_output>
            total = sum(((o * g) if g is not None else o).sum() for o, g in zip(outputs, grad_outputs))
            total.backward(retain_graph=retain_graph)
        results = []
        for i, t in enumerate(inputs):
            if t._ctx is None:
                g = t.grad
            else:
                g = t._make(captured[i]) if i in captured else None
            results.append(g)
    finally:
        for t, g in held:
            t.grad = g
    for i, (t, g) in enumerate(zip(inputs, results)):
        if g is None:
            if materialize_grads:
                results[i] = t.detach() * 0
            elif not allow_unused:
                raise GraphError(f"autograd.grad: input #{i} (shape {tuple(t.shape)}) was not used to compute the "
                                 "outputs; pass allow_unused=True to get None for it")
    return tuple(results)

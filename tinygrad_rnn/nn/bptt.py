"""Backpropagation through time, truncated, and the gradient that reaches each step.

Full BPTT needs no code here: a recurrent layer's forward records the unrolled
graph and `loss.backward()` walks it. Two helpers remain.

truncated_bptt cuts a long sequence x: (T, batch, ...) into chunks of k steps
and, for each chunk [t0, t1):

    output, state = model(x[t0:t1], state)     state from the previous chunk, detached
    loss = loss_fn(output, slice(t0, t1))       a scalar Tensor
    loss.backward()                            the graph of this chunk only, then freed
    optimizer.step()                           when an optimizer is given

Detaching the carried state is what truncates: no gradient flows from chunk
j into chunk j-1, so memory holds one chunk's graph at a time, whatever T.
With k >= T there is one chunk and the gradient is exactly full BPTT's.

step_gradient_norms gives ||dLoss/dh_t|| for every step t: the total
derivative, through the outputs and through every later step, so the decay of
the gradient backwards in time can be plotted. With PyTorch's default
initialisation it decays geometrically for a tanh RNN (per step by about
||diag(tanh'(a_t)) W_hh v|| / ||v||, near 1/sqrt(3) for W_hh ~ U(+-1/sqrt(H))),
and for a default LSTM too: its forget gate starts near sigmoid(0) = 1/2, so
c_t keeps about half of c_{t-1}'s gradient per step. A forget-gate bias of 1
or 2 is what lets an LSTM's gradient reach far back: over 30 steps of an
LSTM(1, 32), ||dL/dh_1|| / ||dL/dh_30|| is about 5e-7 by default and about
0.02 to 0.1 with the forget-gate bias at 2 (tutorial 2 measures both).

    out, h_n = rnn(x)                                   nn.RNN / LSTM / GRU, either impl
    norms = nn.step_gradient_norms(loss, out)           [||dL/dh_0||, ..., ||dL/dh_{T-1}||]
"""

import re

from .. import autograd, backend
from ..bptt import BPTTOp
from ..errors import OpError
from ..tensor import Tensor
from .module import Module

_STEP = re.compile(r"^t=\d+$")  # the scope a composite step records (autograd.step_scopes)


def detach_state(state):
    """A recurrent state (Tensor, or tuple/list of them as LSTM's (h, c)) cut from the graph."""
    if state is None or isinstance(state, Tensor):
        return None if state is None else state.detach()
    return type(state)(detach_state(s) for s in state)


def truncated_bptt(model, x, k, loss_fn, state=None, optimizer=None, batch_first=False):
    """Run `model` over `x` in chunks of `k` steps, backpropagating each chunk on its own.

    model(x_chunk, state) -> (output, state), as nn.RNN/LSTM/GRU's forward(x, hx).
    loss_fn(output, steps) -> scalar loss of the chunk; `steps` is the slice of
        time steps it covers, to cut the matching targets.
    optimizer: when given, its zero_grad() runs before and step() after each
        chunk's backward. Without one, every chunk's gradient accumulates in the
        parameters' .grad, the truncated gradient of the summed loss.
    Returns (losses, state): each chunk's loss as a float, and the final state, detached.
    """
    if int(k) != k or k < 1:
        raise OpError(f"truncated_bptt: the chunk length k must be a positive integer, got {k!r}")
    if x.ndim < 2:
        raise OpError(f"truncated_bptt: expected a sequence of shape (T, batch, ...) "
                      f"(or (batch, T, ...) with batch_first), got {tuple(x.shape)}")
    axis = 1 if batch_first else 0
    steps, losses = x.shape[axis], []
    state = detach_state(state)
    for t0 in range(0, steps, int(k)):
        t1 = min(t0 + int(k), steps)
        chunk = x[:, t0:t1] if batch_first else x[t0:t1]
        if optimizer is not None:
            optimizer.zero_grad()
        output, state = model(chunk, state)
        loss = loss_fn(output, slice(t0, t1))
        if not isinstance(loss, Tensor) or loss.numel() != 1:
            got = f"shape {tuple(loss.shape)}" if isinstance(loss, Tensor) else type(loss).__name__
            raise OpError(f"truncated_bptt: loss_fn must return a scalar Tensor, got {got}")
        loss.backward()
        if optimizer is not None:
            optimizer.step()
        losses.append(loss.item())
        state = detach_state(state)
    return losses, state


def unroll(cell, x, state=None, return_cell_states=False):
    """Run a cell (RNNCell, GRUCell: h; LSTMCell and its variants: (h, c)) over x: (T, batch, input)
    step by step, keeping every h_t. Returns (hidden_states, state): the list of the T tensors
    h_t (batch, H) that the next step reads, and the last state; with return_cell_states=True,
    (hidden_states, cell_states, state), cell_states the T tensors c_t of an LSTM-like cell
    (for plots of what the memory holds). Steps are recorded under "{Cell} layer 0 forward" /
    "t={t}" (a plain function's __name__ stands in for the class name)."""
    hidden, cells = [], []
    name = type(cell).__name__ if isinstance(cell, Module) else getattr(cell, "__name__", "cell")
    with autograd.scope(f"{name} layer 0 forward"):
        for t in autograd.step_scopes(range(x.shape[0])):
            state = cell(x[t], state)
            pair = isinstance(state, (tuple, list))
            if return_cell_states and not (pair and len(state) == 2):
                raise OpError(f"unroll: return_cell_states=True needs a cell whose state is a pair (h, c), as "
                              f"LSTMCell's; {name} returned {type(state).__name__}")
            hidden.append(state[0] if pair else state)
            if return_cell_states:
                cells.append(state[1])
    return (hidden, cells, state) if return_cell_states else (hidden, state)


def step_gradient_norms(loss, states, retain_graph=False):
    """||dLoss/dh_t|| (the Frobenius norm over the batch) for every step t, in one backward of `loss`.

    states: a recurrent layer's output `out` (T, batch, D * H), as nn.RNN, nn.LSTM, nn.GRU or
        nn.PeepholeLSTM return it, on either implementation (with batch_first, lengths, several
        layers: the last layer's h_t; bidirectional: both directions' h_t together); or the list
        of per-step states a recurrence passes on, as `nn.unroll` returns them.
    Returns a list of T floats. dL/dh_t is the total derivative: through the output at t and
    through every later step (for a padded step of a sequence, only the real sequences count).
    Parameters' .grad accumulate as in any backward; retain_graph as in backward.

    A list whose tensors the loss was not computed from (slices of a stacked output, `list(out)`,
    are new tensors outside the recurrence) is refused rather than answered with zeros.
    """
    if isinstance(states, Tensor):
        return _layer_output_norms(loss, states, retain_graph)
    hidden_states = list(states)
    if not hidden_states:
        raise OpError("step_gradient_norms: expected a layer's output or a non-empty list of hidden states")
    for i, h in enumerate(hidden_states):
        if not isinstance(h, Tensor) or not h.requires_grad:
            raise OpError(f"step_gradient_norms: hidden state #{i} is not part of the graph "
                          "(it needs requires_grad, e.g. parameters that require grad)")
        h.grad = None
        h.retain_grad()
    loss.backward(retain_graph=retain_graph)
    if all(h.grad is None for h in hidden_states):
        raise OpError(f"step_gradient_norms: none of the {len(hidden_states)} hidden states is on the path from the "
                      "loss, so none got a gradient; slices of a stacked output (list(out), out[t]) are new tensors "
                      "outside the recurrence: pass the layer's output itself, step_gradient_norms(loss, out), or "
                      "the tensors the recurrence passed on (nn.unroll's list)")
    return [0.0 if h.grad is None else _norm(h.grad.array) for h in hidden_states]


def _norm(array):
    return float(backend.xp_of(array).vdot(array.ravel(), array.ravel())) ** 0.5 if array.dtype.kind == "f" else 0.0


def _layer_output_norms(loss, out, retain_graph):
    """step_gradient_norms for a layer's output: the steps that made it, found in the graph.

    Walking back from `out` through the ops outside any step (reshape, transpose, the join of
    two directions, the masking of padded steps), the walk stops at a fused layer's BPTT op,
    which reports dL/dh_t of its steps when norms are recorded, or at the h_t of a composite
    step (an op recorded under a "t=..." scope), whose gradient is retained."""
    fused, composite, steps = [], [], 0
    seen, stack = set(), [out._ctx]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        if isinstance(fn, BPTTOp):
            fused.append(fn)
            continue
        for node, slot, _, _ in fn.inputs:
            step = next((name for name in node.scope if _STEP.match(name)), None) if node is not None else None
            if step is None:
                stack.append(node)
            else:
                composite.append((int(step[2:]), node, slot))
                steps = max(steps, len(fn.inputs))
    if not fused and not composite:
        raise OpError(f"step_gradient_norms: the tensor of shape {tuple(out.shape)} was not made by a recurrent "
                      "layer's steps; pass the output of nn.RNN / LSTM / GRU (out, _ = rnn(x)), or the list of "
                      "per-step states of a cell loop (nn.unroll)")
    grads = {}  # (node, slot) of a step's h_t (both directions have one per t) -> (t, its gradient)
    for t, node, slot in composite:
        autograd.add_hook(node, slot, lambda g, t=t, key=(node, slot): grads.__setitem__(key, (t, g)))
    with autograd.record_grad_norms():  # the BPTT ops report their per-step norms only then
        loss.backward(retain_graph=retain_graph)
    squares = [0.0] * max([steps] + [fn.steps for fn in fused])
    reached = False
    for fn in fused:
        if fn.step_grad_norms is not None:
            reached = True
            for t, norm in enumerate(fn.step_grad_norms):
                squares[t] += norm * norm
    for t, g in grads.values():
        reached = True
        squares[t] += _norm(g) ** 2
    if not reached:
        raise OpError("step_gradient_norms: no gradient of the loss reached the layer that made this output; "
                      "the loss does not depend on it")
    return [s ** 0.5 for s in squares]

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
derivative, through the outputs and through every later step, so a tanh
RNN's vanishing gradient (or an LSTM's surviving one) can be plotted.
"""

from .. import autograd
from ..errors import OpError
from ..tensor import Tensor
from .module import Module


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


def unroll(cell, x, state=None):
    """Run a cell (RNNCell, GRUCell: h; LSTMCell: (h, c)) over x: (T, batch, input)
    step by step, keeping every h_t. Returns (hidden_states, state): the list of
    the T tensors h_t (batch, H) that the next step reads, and the last state.
    Steps are recorded under "{Cell} layer 0 forward" / "t={t}" (a plain function's
    __name__ stands in for the class name)."""
    hidden, name = [], type(cell).__name__ if isinstance(cell, Module) else getattr(cell, "__name__", "cell")
    with autograd.scope(f"{name} layer 0 forward"):
        for t in autograd.step_scopes(range(x.shape[0])):
            state = cell(x[t], state)
            hidden.append(state[0] if isinstance(state, (tuple, list)) else state)
    return hidden, state


def step_gradient_norms(loss, hidden_states, retain_graph=False):
    """||dLoss/dh_t|| (Frobenius norm over the batch) for every h_t in `hidden_states`,
    by backpropagating `loss` once with each h_t's gradient retained.

    hidden_states must be the tensors the recurrence actually passes on (as from
    `unroll`), not slices of a stacked output, whose gradient misses the later
    steps. A step the loss does not depend on gets 0.0. Parameters' .grad
    accumulate as in any backward.
    """
    hidden_states = list(hidden_states)
    for i, h in enumerate(hidden_states):
        if not isinstance(h, Tensor) or not h.requires_grad:
            raise OpError(f"step_gradient_norms: hidden state #{i} is not part of the graph "
                          "(it needs requires_grad, e.g. parameters that require grad)")
        h.grad = None
        h.retain_grad()
    loss.backward(retain_graph=retain_graph)
    norms = []
    for h in hidden_states:
        g = h.grad
        norms.append(0.0 if g is None else float((g.array.astype("float64") ** 2).sum()) ** 0.5)
    return norms

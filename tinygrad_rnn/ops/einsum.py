"""einsum: sums of products named by subscripts (PyTorch's torch.einsum), e.g.

    "bij,bjk->bik"   batched matrix product       "bhqd,bhkd->bhqk"   attention scores
    "i,j->ij"        outer product                "ij->"              sum of all elements

The gradient of operand k is itself an einsum: the output's gradient times every other operand,
summed to operand k's subscripts,

    d x_k = einsum(out, others... -> subs_k)(g, x_1, ..., x_{k-1}, x_{k+1}, ...)

and a subscript found only in operand k (summed away, in no other operand nor the output) gets
that gradient broadcast along it. Each operand's subscripts must be distinct (no diagonals
such as "ii->i"); "..." stands for the leading dims and broadcasts as in PyTorch.
"""

from ..autograd import Function
from ..backend import xp_of
from ..errors import ArgumentTypeError, OpError

_SPARE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # letters for the dims "..." stands for


def parse(equation, shapes):
    """The equation with "..." written out and the output made explicit: (inputs, output)."""
    if not isinstance(equation, str):
        raise ArgumentTypeError(f"einsum: the equation must be a string, got {type(equation).__name__}")
    equation = equation.replace(" ", "")
    left, arrow, output = equation.partition("->")
    inputs = left.split(",")
    if len(inputs) != len(shapes):
        raise OpError(f"einsum: the equation {equation!r} names {len(inputs)} operands but {len(shapes)} were given")
    spans = []
    for subs, shape in zip(inputs, shapes):
        named = subs.replace("...", "")
        if not named.isalpha() and named or any(c in _SPARE for c in named):
            raise OpError(f"einsum: subscripts must be lowercase letters (and '...'), got {subs!r}")
        if len(set(named)) != len(named):
            raise OpError(f"einsum: repeated subscripts in one operand ({subs!r}) are not supported")
        span = len(shape) - len(named)
        if span < 0 or span and "..." not in subs:
            raise OpError(f"einsum: subscripts {subs!r} do not fit an operand of shape {tuple(shape)}")
        spans.append(span)
    width = max(spans, default=0)
    spare = _SPARE[:width]
    inputs = [subs.replace("...", spare[width - span:]) for subs, span in zip(inputs, spans)]
    if not arrow:  # NumPy's and PyTorch's implicit output: the "..." dims, then letters used once, sorted
        letters = "".join(inputs)
        output = spare + "".join(sorted(c for c in set(letters) if c not in spare and letters.count(c) == 1))
    else:
        output = output.replace("...", spare)
        if len(set(output)) != len(output) or any(c not in "".join(inputs) for c in output):
            raise OpError(f"einsum: the output subscripts {output!r} must be distinct letters of the inputs")
    return inputs, output


class Einsum(Function):
    """out = einsum(inputs -> output)(x_1, ..., x_n);  d x_k = einsum of g and the other operands"""

    def __init__(self, inputs, output):
        self.subscripts, self.output = inputs, output

    def forward(self, *xs):
        self.save(*xs)
        return xp_of(xs[0]).einsum(",".join(self.subscripts) + "->" + self.output, *xs)

    def backward(self, g):
        xs = self.saved
        xp = xp_of(g)
        grads = []
        for k, (subs, x) in enumerate(zip(self.subscripts, xs)):
            if not self.needs_grad[k]:
                grads.append(None)
                continue
            others = [(s, a) for i, (s, a) in enumerate(zip(self.subscripts, xs)) if i != k]
            seen = self.output + "".join(s for s, _ in others)
            kept = "".join(c for c in subs if c in seen)
            equation = ",".join([self.output] + [s for s, _ in others]) + "->" + kept
            grad = xp.einsum(equation, g, *[a for _, a in others])
            if kept != subs:  # letters summed away in operand k alone: the gradient is the same along them
                sizes = dict(zip(kept, grad.shape))
                grad = grad.reshape(tuple(sizes.get(c, 1) for c in subs))
                grad = xp.broadcast_to(grad, tuple(sizes.get(c, n) for c, n in zip(subs, x.shape)))
            grads.append(grad)  # broadcast "..." dims are summed back to x's shape by the engine
        return tuple(grads)

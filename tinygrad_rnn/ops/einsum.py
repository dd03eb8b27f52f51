"""torch.einsum: sums of products named by subscripts, e.g. "btd,d->bt" or "bij,bjk->bik".

    out[o] = sum over the letters not in o of  prod_k  x_k[s_k]

Letters a-z, A-Z, and one "..." per operand for broadcast leading (or middle) dimensions. Without
"->" the output is "..." then the letters that appear once, in alphabetical order (PyTorch's
rule). The gradient of operand k is itself an einsum, of g with the other operands:

    dx_k = einsum("o, s_1, .. (not k) .. -> s_k", g, ...),

where a letter only x_k has (summed in x_k alone) is broadcast back over its axis, and "..."
dimensions broadcast in the forward are summed back by the engine. A letter repeated inside one
operand (a diagonal or trace, "ii->i") is not supported and raises.
"""

import string

from ..autograd import Function
from ..backend import xp_of
from ..errors import OpError

LETTERS = set(string.ascii_letters)


def _tokens(subs):
    """"b...d" -> ["b", "...", "d"]"""
    head, dots, tail = subs.partition("...")
    return list(head) + (["..."] if dots else []) + list(tail)


def parse(equation, shapes):
    """The input subscripts and the output subscripts, checked against the operands' shapes."""
    if not isinstance(equation, str):
        raise OpError(f"einsum: the equation must be a string such as 'ij,jk->ik', got {type(equation).__name__}")
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise OpError(f"einsum: {equation!r} names {len(inputs)} operands but {len(shapes)} were given")
    for subs, shape in zip(inputs, shapes):
        letters = subs.replace("...", "")
        if subs.count("...") > 1 or set(letters) - LETTERS:
            raise OpError(f"einsum: bad subscripts {subs!r} in {equation!r}: use letters and at most one '...'")
        if len(set(letters)) != len(letters):
            raise OpError(f"einsum: subscripts {subs!r} repeat a letter (a diagonal or trace), which is not "
                          "supported; index the diagonal out first (x[i, i] with i = tr.arange(n))")
        if len(letters) > len(shape) or "..." not in subs and len(letters) != len(shape):
            raise OpError(f"einsum: subscripts {subs!r} do not fit an operand of shape {tuple(shape)}")
    every = "".join(s.replace("...", "") for s in inputs)
    has_dots = any("..." in s for s in inputs)
    if not arrow:
        out = ("..." if has_dots else "") + "".join(sorted(c for c in set(every) if every.count(c) == 1))
    letters = out.replace("...", "")
    if out.count("...") > 1 or set(letters) - set(every) or len(set(letters)) != len(letters):
        raise OpError(f"einsum: output {out!r} of {equation!r} must name each input letter at most once")
    if has_dots and "..." not in out:
        raise OpError(f"einsum: {equation!r} has '...' in an input, so its output must keep '...' too")
    return inputs, out


class Einsum(Function):
    """out = einsum(equation, *xs); see the module docstring for the gradient."""

    def __init__(self, inputs, out):
        self.subs, self.out = inputs, out

    def forward(self, *xs):
        dtypes = {x.dtype for x in xs}
        if len(dtypes) > 1:
            raise OpError(f"einsum: operands must share one dtype, got {', '.join(str(x.dtype) for x in xs)}; "
                          "convert them first (.double(), .float())")
        self.save(*xs)
        try:
            return xp_of(xs[0]).einsum(",".join(self.subs) + "->" + self.out, *xs)
        except ValueError as e:
            shapes = ", ".join(str(tuple(x.shape)) for x in xs)
            raise OpError(f"einsum: {','.join(self.subs)}->{self.out} does not fit shapes {shapes} ({e})") from None

    def backward(self, g):
        xs = self.saved
        xp = xp_of(g)
        grads = []
        for k, (x, subs) in enumerate(zip(xs, self.subs)):
            if not self.needs_grad[k]:
                grads.append(None)
                continue
            others = [s for i, s in enumerate(self.subs) if i != k]
            seen = set(self.out + "".join(others))
            lonely = {c for c in subs.replace("...", "") if c not in seen}
            target = "".join(c for c in _tokens(subs) if c not in lonely)
            summed_dots = "..." in self.out and "..." not in target  # x has no "...": sum those dims away
            grad = xp.einsum(",".join([self.out] + others) + "->" + ("..." if summed_dots else "") + target, g,
                             *[a for i, a in enumerate(xs) if i != k])
            if summed_dots:
                grad = grad.sum(axis=tuple(range(grad.ndim - len(target))))
            grads.append(self._spread(grad, x, subs, lonely) if lonely else grad)
        return tuple(grads)

    @staticmethod
    def _spread(grad, x, subs, lonely):
        """Broadcast grad back over the axes of the letters only x had (summed in the forward)."""
        tokens = _tokens(subs)
        n_dots = x.ndim - (len(tokens) - ("..." in tokens))
        g_dots = grad.ndim - sum(1 for c in tokens if c != "..." and c not in lonely)
        shape, full, axis, g_axis = [], [], 0, 0
        for c in tokens:
            if c == "...":
                shape += grad.shape[g_axis:g_axis + g_dots]
                full += grad.shape[g_axis:g_axis + g_dots]
                axis, g_axis = axis + n_dots, g_axis + g_dots
            elif c in lonely:
                shape.append(1)
                full.append(x.shape[axis])
                axis += 1
            else:
                shape.append(grad.shape[g_axis])
                full.append(grad.shape[g_axis])
                axis, g_axis = axis + 1, g_axis + 1
        return xp_of(grad).broadcast_to(grad.reshape(shape), tuple(full))


def einsum(equation, *operands):
    """torch.einsum(equation, *operands), or with the operands as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise OpError("einsum: give at least one operand")
    for x in operands:
        if not hasattr(x, "_data"):
            raise OpError(f"einsum: operands must be Tensors, got {type(x).__name__}")
    inputs, out = parse(equation, [tuple(x.shape) for x in operands])
    return Einsum.apply(*operands, inputs=inputs, out=out)

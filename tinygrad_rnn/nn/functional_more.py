"""More of nn.functional, as PyTorch defines them, built from the engine's ops:

    normalize(x, p, dim, eps)          x / max(||x||_p along dim, eps)
    cosine_similarity(a, b, dim, eps)  sum(a / max(||a||, eps) * b / max(||b||, eps)) along dim
    pad(x, pad, mode="constant", value)  pad = (left, right) for the last dim, then the one before, ...
                                       (negative amounts crop); only the constant mode
    scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale)
        softmax(q k^T * scale + mask) v,  q: (..., L, E), k: (..., S, E), v: (..., S, Ev);
        a bool mask is True where a query may attend, a float mask is added to the scores
"""

import math

from .. import creation, functions
from ..errors import OpError
from ..tensor import Tensor
from .dropout import dropout


def _tensor(op, x, name="input"):
    if not isinstance(x, Tensor):
        raise OpError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    return x


def normalize(input, p=2.0, dim=1, eps=1e-12):
    _tensor("normalize", input)
    return input / input.norm(p=p, dim=dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    _tensor("cosine_similarity", x1, "x1")
    _tensor("cosine_similarity", x2, "x2")
    x1, x2 = _broadcast(x1, x2)
    a = x1 / x1.norm(dim=dim, keepdim=True).clamp(min=eps)
    b = x2 / x2.norm(dim=dim, keepdim=True).clamp(min=eps)
    return (a * b).sum(dim=dim)


def _broadcast(a, b):
    try:
        shape = tuple(_broadcast_shape(tuple(a.shape), tuple(b.shape)))
    except ValueError:
        raise OpError(f"cosine_similarity: shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast") from None
    return a.expand(shape), b.expand(shape)


def _broadcast_shape(s, t):
    n = max(len(s), len(t))
    s, t = (1,) * (n - len(s)) + s, (1,) * (n - len(t)) + t
    for i, j in zip(s, t):
        if i != j and 1 not in (i, j):
            raise ValueError
        yield max(i, j) if 0 not in (i, j) else 0


def pad(input, pad, mode="constant", value=None):
    _tensor("pad", input)
    if mode != "constant":
        raise OpError(f"pad: mode {mode!r} is not provided; only mode='constant' (reflect, replicate and circular "
                      "padding are for convolutions, left out on purpose)")
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim or any(isinstance(n, bool) or not isinstance(n, int) for n in pad):
        raise OpError(f"pad: pad must be an even number of ints, two per dimension from the last, at most "
                      f"{2 * input.ndim} for shape {tuple(input.shape)}; got {pad}")
    out = input
    fill = 0 if value is None else value
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        if before < 0 or after < 0:  # negative padding crops
            start, stop = -min(before, 0), out.shape[dim] + min(after, 0)
            if stop < start:
                raise OpError(f"pad: cropping {pad[2 * i:2 * i + 2]} leaves nothing of dimension {dim} "
                              f"(size {out.shape[dim]})")
            out = out.narrow(dim, start, stop - start)
        pieces = []
        for amount in (max(before, 0), max(after, 0)):
            shape = list(out.shape)
            shape[dim] = amount
            pieces.append(creation.full(tuple(shape), fill, dtype=out.dtype, device=out.device))
        out = functions.cat([pieces[0], out, pieces[1]], dim=dim)
    return out


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    for name, x in (("query", query), ("key", key), ("value", value)):
        _tensor("scaled_dot_product_attention", x, name)
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise OpError(f"scaled_dot_product_attention: query {tuple(query.shape)}, key {tuple(key.shape)} and value "
                      f"{tuple(value.shape)} must be (..., L, E), (..., S, E), (..., S, Ev)")
    if is_causal and attn_mask is not None:
        raise OpError("scaled_dot_product_attention: give attn_mask or is_causal=True, not both (as PyTorch)")
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.transpose(-2, -1) * scale                      # (..., L, S)
    if is_causal:
        attn_mask = functions.tril(creation.ones(L, S, dtype=bool, device=query.device))
    if attn_mask is not None:
        if attn_mask.dtype.kind == "b":
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    weights = scores.softmax(dim=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)            # PyTorch drops whenever p > 0
    return weights @ value


"""Multi-head attention (Vaswani et al., 2017) with PyTorch's parameters, signature and numbers.

    Q = query W_q^T + b_q,  K = key W_k^T + b_k,  V = value W_v^T + b_v        (N, L|S, E)
    split E into h heads of d = E / h:            Q_i (N, L, d), K_i, V_i (N, S, d)
    A_i = softmax(Q_i K_i^T / sqrt(d) + mask)     (N, L, S)
    head_i = A_i V_i,  out = concat_i(head_i) W_o^T + b_o                       (N, L, E)

[W_q; W_k; W_v] is `in_proj_weight` (3E, E) and [b_q; b_k; b_v] `in_proj_bias`
(3E,), as in torch.nn.MultiheadAttention, so a state_dict moves between the two
unchanged. Initialised as PyTorch's: xavier_uniform_ in_proj_weight, zero biases,
out_proj.weight from U(-1/sqrt(E), 1/sqrt(E)).

Masks, PyTorch's meaning: a boolean mask is True where attention is not allowed,
a float mask is added to the scores (-inf forbids).
    key_padding_mask  (N, S)                      padded keys of each batch row
    attn_mask         (L, S) or (N * h, L, S)     e.g. causal_mask(L)
Where PyTorch returns NaN for a query whose every key is masked, this raises
(on a GPU only under tr.detect_anomaly(), see masks.py).
"""

import math

from ... import backend
from ...errors import OpError
from ...functions import split
from ...tensor import Tensor
from .. import init
from ..dropout import dropout
from ..linear import Linear
from ..module import Module
from ..parameter import Parameter
from .masks import check_rows_attend


def xavier_uniform(shape, dtype=None):
    """A Parameter of `shape` filled by nn.init.xavier_uniform_ (gain 1), as PyTorch initialises these weights."""
    return init.xavier_uniform_(Parameter(backend.np.zeros(shape, dtype=dtype or backend.default_float())))


class MultiheadAttention(Module):
    """MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, kdim=None, vdim=None, batch_first=False).

    Inputs (L target length, S source length, N batch, E embed_dim):
    query (L, N, E), key (S, N, kdim), value (S, N, vdim); (N, L, E) etc. with
    batch_first=True; or unbatched (L, E), (S, kdim), (S, vdim).
    forward(query, key, value, key_padding_mask=None, need_weights=True,
            attn_mask=None, average_attn_weights=True, is_causal=False) -> (output, weights)
    output: like query. weights: (N, L, S) averaged over heads, (N, h, L, S)
    with average_attn_weights=False, None with need_weights=False.
    `last_weights` keeps the weights of the last forward (detached) either way.
    dropout: probability of zeroing an attention weight in training mode (the
    returned weights are then the dropped, rescaled ones, as PyTorch's).
    is_causal: in PyTorch a hint that attn_mask is causal (the mask is still
    required); here, without attn_mask, it builds that mask: query i sees keys 0..i.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, kdim=None, vdim=None, batch_first=False):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise OpError(f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive multiple of num_heads "
                          f"({num_heads})")
        if not 0.0 <= dropout < 1.0:
            raise OpError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self.dropout, self.batch_first = dropout, batch_first
        self.packed = self.kdim == embed_dim and self.vdim == embed_dim
        if self.packed:
            self.in_proj_weight = xavier_uniform((3 * embed_dim, embed_dim))
        else:
            # PyTorch's names when key or value have another width
            self.q_proj_weight = xavier_uniform((embed_dim, embed_dim))
            self.k_proj_weight = xavier_uniform((embed_dim, self.kdim))
            self.v_proj_weight = xavier_uniform((embed_dim, self.vdim))
        in_proj_bias = Parameter(backend.np.zeros(3 * embed_dim, dtype=backend.default_float())) if bias else None
        self.register_parameter("in_proj_bias", in_proj_bias)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        if bias:
            init.zeros_(self.out_proj.bias)
        self.last_weights = None

    # ---- projections -----------------------------------------------------------
    def _project(self, query, key, value):
        """(N, L, E), (N, S, kdim), (N, S, vdim) -> Q, K, V, each (N, ., E)."""
        E = self.embed_dim
        b = self.in_proj_bias
        biases = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        if self.packed and query is key and key is value:
            qkv = query @ self.in_proj_weight.T  # self-attention: one matmul for all three
            if b is not None:
                qkv = qkv + b
            return split(qkv, E, axis=-1)
        if self.packed:
            w = self.in_proj_weight
            weights = (w[:E], w[E:2 * E], w[2 * E:])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        out = []
        for x, w, bias in zip((query, key, value), weights, biases):
            y = x @ w.T
            out.append(y if bias is None else y + bias)
        return out

    def _heads(self, x):
        """(N, T, E) -> (N, h, T, d)"""
        n, t, _ = x.shape
        return x.reshape(n, t, self.num_heads, self.head_dim).permute(0, 2, 1, 3)

    # ---- masks -----------------------------------------------------------------
    def _additive_mask(self, mask, shape, what, like):
        """A boolean or float mask -> float array of `shape` to add to the scores (-inf = forbidden)."""
        array = mask.array if isinstance(mask, Tensor) else backend.as_array(mask, device=like.device)
        if backend.device_of(array) != like.device:
            raise backend.DeviceError(f"MultiheadAttention: {what} is on {backend.device_of(array)} but the query "
                                      f"is on {like.device}")
        if array.dtype.kind not in "bf":
            raise OpError(f"MultiheadAttention: {what} must be boolean (True = not allowed) or float (added to "
                          f"the scores), got dtype {array.dtype}")
        if tuple(array.shape) not in shape:
            raise OpError(f"MultiheadAttention: {what} has shape {tuple(array.shape)}, expected "
                          f"{' or '.join(str(s) for s in shape)}")
        xp = backend.xp_of(array)
        if array.dtype == bool:
            # NumPy scalars of the scores' dtype: no 0-d arrays uploaded per call, no promotion
            return xp.where(array, like.dtype.type(-math.inf), like.dtype.type(0))
        return array.astype(like.dtype)

    def _mask(self, key_padding_mask, attn_mask, n, length, source, like):
        """Both masks as one float array broadcastable to the scores (N, h, L, S), or None."""
        total = None
        if attn_mask is not None:
            shapes = [(length, source), (n * self.num_heads, length, source)]
            total = self._additive_mask(attn_mask, shapes, "attn_mask", like)
            if total.ndim == 3:
                total = total.reshape(n, self.num_heads, length, source)
        if key_padding_mask is not None:
            pad = self._additive_mask(key_padding_mask, [(n, source)], "key_padding_mask", like)
            pad = pad.reshape(n, 1, 1, source)
            total = pad if total is None else total + pad
        return total

    # ---- forward ---------------------------------------------------------------
    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        unbatched = query.ndim == 2
        self._check_inputs(query, key, value, unbatched)
        if unbatched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = _unsqueeze_mask(key_padding_mask)
            if attn_mask is not None and len(getattr(attn_mask, "shape", ())) == 3:
                attn_mask = _unsqueeze_mask(attn_mask)  # (h, L, S) is (N * h, L, S) with N = 1
        elif not self.batch_first:
            # (L, N, E) -> (N, L, E); when the three are one tensor keep them one
            same_kv = key is value
            same_qk = query is key
            query = query.transpose(0, 1)
            key = query if same_qk else key.transpose(0, 1)
            value = key if same_kv else value.transpose(0, 1)
        n, length, _ = query.shape
        source = key.shape[1]

        q, k, v = (self._heads(x) for x in self._project(query, key, value))
        scores = (q * (1.0 / math.sqrt(self.head_dim))) @ k.transpose(-2, -1)       # (N, h, L, S)
        if is_causal and attn_mask is None:  # made on the device: key s is hidden from query l when s > l
            xp = backend.xp_of(scores.array)
            attn_mask = xp.arange(source)[None, :] > xp.arange(length)[:, None]
        mask = self._mask(key_padding_mask, attn_mask, n, length, source, scores)
        if mask is not None:
            check_rows_attend(backend.xp_of(mask).isneginf(mask), "MultiheadAttention", scores.shape)
            scores = scores + Tensor._make(mask)
        # as PyTorch: dropout acts on the weights, and the weights returned are the dropped ones
        weights = dropout(scores.softmax(axis=-1), self.dropout, self.training)
        heads = (weights @ v).permute(0, 2, 1, 3).reshape(n, length, self.embed_dim)
        output = self.out_proj(heads)                                                  # (N, L, E)

        if average_attn_weights:
            weights = weights.mean(axis=1)
        if unbatched:
            output, weights = output.squeeze(0), weights.squeeze(0)
        elif not self.batch_first:
            output = output.transpose(0, 1)
        self.last_weights = weights.detach()
        return output, (weights if need_weights else None)

    def _check_inputs(self, query, key, value, unbatched):
        dims = 2 if unbatched else 3
        layout = "(L, E)" if unbatched else ("(N, L, E)" if self.batch_first else "(L, N, E)")
        if query.ndim not in (2, 3) or key.ndim != dims or value.ndim != dims:
            raise OpError(f"MultiheadAttention: query, key and value must all be batched {layout} or all "
                          f"unbatched (L, E), got {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        widths = (query.shape[-1], key.shape[-1], value.shape[-1])
        if widths != (self.embed_dim, self.kdim, self.vdim):
            raise OpError(f"MultiheadAttention: expected feature sizes (embed_dim, kdim, vdim) = "
                          f"({self.embed_dim}, {self.kdim}, {self.vdim}), got {widths}")
        batch_axis = 0 if self.batch_first else 1
        if key.shape[:-1] != value.shape[:-1] or (not unbatched and query.shape[batch_axis] != key.shape[batch_axis]):
            raise OpError(f"MultiheadAttention: batch and source sizes disagree: query {tuple(query.shape)}, key "
                          f"{tuple(key.shape)}, value {tuple(value.shape)} (batch_first={self.batch_first})")
        if key.shape[1 if self.batch_first and not unbatched else 0] == 0:
            raise OpError(f"MultiheadAttention: key and value have no positions (source length 0, key "
                          f"{tuple(key.shape)}); each query needs at least one key to attend to")
        dtypes = (query.dtype, key.dtype, value.dtype)
        if any(d.kind != "f" for d in dtypes):
            raise OpError(f"MultiheadAttention: query, key and value must be floating point like the weights, got "
                          f"dtypes {', '.join(str(d) for d in dtypes)}")

    def extra_repr(self):
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
                f"batch_first={self.batch_first}")


def _unsqueeze_mask(mask):
    if isinstance(mask, Tensor):
        return mask.unsqueeze(0)
    return mask[None] if backend.is_array(mask) else backend.np.asarray(mask)[None]

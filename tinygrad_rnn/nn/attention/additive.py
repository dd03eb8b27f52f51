"""Additive attention (Bahdanau et al., 2015): a one-hidden-layer network scores each key.

    e_{t,s}  = v^T tanh(W_q q_t + W_k k_s + b)     q_t: (Dq,), k_s: (Dk,), W_q: (H, Dq), W_k: (H, Dk), v: (H,)
    weights  = softmax_s(e_{t,s})                  (batch, tq, S)
    context  = sum_s weights_{t,s} v_s             (batch, tq, Dv)
"""

from ...errors import OpError
from ..linear import Linear
from .base import Attention, project


class AdditiveAttention(Attention):
    """Bahdanau's "concat" score: AdditiveAttention(query_size, key_size, hidden_size).

    Parameters: query_proj.weight (H, Dq), key_proj.weight (H, Dk), key_proj.bias (H,)
    (the one bias b), energy.weight (1, H) (the vector v).
    forward(query, keys, values=None, key_padding_mask=None) -> (context, weights);
    see Attention for the shapes.
    """

    def __init__(self, query_size, key_size, hidden_size):
        super().__init__()
        self.query_proj = Linear(query_size, hidden_size, bias=False)
        self.key_proj = Linear(key_size, hidden_size)
        self.energy = Linear(hidden_size, 1, bias=False)

    def score(self, query, keys):
        if query.shape[-1] != self.query_proj.in_features or keys.shape[-1] != self.key_proj.in_features:
            raise OpError(f"AdditiveAttention: expected query (..., {self.query_proj.in_features}) and keys "
                          f"(..., {self.key_proj.in_features}), got {tuple(query.shape)} and {tuple(keys.shape)}")
        # (batch, tq, 1, H) + (batch, 1, S, H): every query against every key
        hidden = (project(self.query_proj, query).unsqueeze(2) + project(self.key_proj, keys).unsqueeze(1)).tanh()
        return project(self.energy, hidden).squeeze(-1)

    def extra_repr(self):
        return (f"query_size={self.query_proj.in_features}, key_size={self.key_proj.in_features}, "
                f"hidden_size={self.key_proj.out_features}")

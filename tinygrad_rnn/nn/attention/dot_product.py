"""Multiplicative attention (Luong et al., 2015): the "dot" and "general" scores.

    dot:      e_{t,s} = q_t . k_s                 (needs Dq == Dk)
    general:  e_{t,s} = q_t^T W_a k_s             W_a: (Dq, Dk)
    scaled:   e_{t,s} / sqrt(Dq)                  (Vaswani et al.), keeps the softmax out of saturation
    weights = softmax_s(e),  context = weights @ values
"""

import math

from ...errors import OpError
from ..linear import Linear
from .base import Attention, project

FORMS = ("dot", "general")


class DotProductAttention(Attention):
    """DotProductAttention(query_size, key_size=None, form="dot"|"general", scaled=False).

    key_size defaults to query_size. The general form has one parameter,
    key_proj.weight = W_a (Dq, Dk), applied to the keys (W_a k_s).
    forward(query, keys, values=None, key_padding_mask=None) -> (context, weights).
    """

    def __init__(self, query_size, key_size=None, form="dot", scaled=False):
        super().__init__()
        key_size = query_size if key_size is None else key_size
        if form not in FORMS:
            raise OpError(f"DotProductAttention: form must be one of {FORMS}, got {form!r}")
        if form == "dot" and key_size != query_size:
            raise OpError(f"DotProductAttention: the dot form needs query_size == key_size, got {query_size} and "
                          f"{key_size}; use form='general' to learn a map between them")
        self.query_size, self.key_size, self.form, self.scaled = query_size, key_size, form, scaled
        if form == "general":
            self.key_proj = Linear(key_size, query_size, bias=False)

    def score(self, query, keys):
        if query.shape[-1] != self.query_size or keys.shape[-1] != self.key_size:
            raise OpError(f"DotProductAttention: expected query (..., {self.query_size}) and keys "
                          f"(..., {self.key_size}), got {tuple(query.shape)} and {tuple(keys.shape)}")
        if self.form == "general":
            keys = project(self.key_proj, keys)
        scores = query @ keys.transpose(-2, -1)
        return scores * (1 / math.sqrt(self.query_size)) if self.scaled else scores

    def extra_repr(self):
        return f"query_size={self.query_size}, key_size={self.key_size}, form={self.form!r}, scaled={self.scaled}"

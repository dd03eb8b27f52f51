"""Attention modules: additive (Bahdanau), dot-product (Luong dot/general, scaled),
local (Luong local-p), multi-head (PyTorch's), and their masks."""

from .additive import AdditiveAttention
from .base import Attention
from .dot_product import DotProductAttention
from .local import LocalAttention
from .masks import causal_mask, lengths_to_padding_mask
from .multihead import MultiheadAttention

__all__ = ["Attention", "AdditiveAttention", "DotProductAttention", "LocalAttention", "MultiheadAttention",
           "causal_mask", "lengths_to_padding_mask"]

"""Transformer layers (Vaswani et al., 2017) with PyTorch's modules, parameter names and numbers.

Encoder layer, post-norm (norm_first=False, the default) and pre-norm:

    x = norm1(x + SA(x)),          x = norm2(x + FF(x))              post-norm
    x = x + SA(norm1(x)),          x = x + FF(norm2(x))              pre-norm
    SA(x) = dropout1(self_attn(x, x, x, src_mask, src_key_padding_mask))
    FF(x) = dropout2(linear2(dropout(activation(linear1(x)))))      d_model -> dim_feedforward -> d_model

Decoder layer: the same with a cross-attention block between the two,
    CA(x) = dropout2(multihead_attn(x, memory, memory, memory_mask, memory_key_padding_mask))
and norm1, norm2, norm3 / dropout1, dropout2, dropout3 around SA, CA, FF.

Shapes: (S, N, E) sources, (T, N, E) targets, E = d_model; (N, S, E), (N, T, E) with
batch_first=True; or unbatched (S, E). Masks mean what they mean in MultiheadAttention
(True or -inf = not allowed): src_mask (S, S), tgt_mask (T, T), memory_mask (T, S),
*_key_padding_mask (N, S) or (N, T). is_causal without a mask builds the causal one.

TransformerEncoder / TransformerDecoder stack num_layers deep copies of one layer
(`layers.0`, `layers.1`, ...), then an optional final `norm`; nn.Transformer is both,
with a final LayerNorm on each and its matrices re-drawn by xavier_uniform_, as PyTorch's.
In PyTorch's inference fast path an encoder given src_key_padding_mask returns zeros at the
padded positions (nested tensors); here they hold the layer's values, as in its training path.
"""

import copy
import math

from .. import dtypes
from ..creation import full
from ..errors import OpError
from ..functions import triu
from . import init
from .attention import MultiheadAttention
from .containers import ModuleList
from .dropout import Dropout
from .gelu import gelu
from .layer_norm import LayerNorm
from .linear import Linear
from .module import Module


def _relu(x):
    return x.relu()


def _activation(activation, name):
    if activation == "relu":
        return _relu
    if activation == "gelu":
        return gelu
    if callable(activation) and not isinstance(activation, str):
        return activation
    raise OpError(f"{name}: activation should be relu/gelu or a callable, not {activation!r}")


def _check_sizes(name, d_model, nhead, dim_feedforward, dropout):
    for key, value in (("d_model", d_model), ("nhead", nhead), ("dim_feedforward", dim_feedforward)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise OpError(f"{name}: {key} must be a positive int, got {value!r}")
    if d_model % nhead:
        raise OpError(f"{name}: d_model ({d_model}) must be divisible by nhead ({nhead})")
    if not 0.0 <= dropout <= 1.0:
        raise OpError(f"{name}: dropout probability has to be between 0 and 1, but got {dropout}")


class TransformerEncoderLayer(Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        _check_sizes("TransformerEncoderLayer", d_model, nhead, dim_feedforward, dropout)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation, "TransformerEncoderLayer")
        self.batch_first = batch_first
        _place(self, device, dtype)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=bool(is_causal))[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        _check_sizes("TransformerDecoderLayer", d_model, nhead, dim_feedforward, dropout)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation, "TransformerDecoderLayer")
        self.batch_first = batch_first
        _place(self, device, dtype)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=bool(is_causal))[0]
        return self.dropout1(x)

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, memory, memory, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=bool(is_causal))[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _clones(layer, num_layers, name):
    if not isinstance(layer, Module):
        raise OpError(f"{name}: expected a layer Module to copy, got {type(layer).__name__}")
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 0:
        raise OpError(f"{name}: num_layers must be a non-negative int, got {num_layers!r}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                           is_causal=bool(is_causal))
        return output if self.norm is None else self.norm(output)


class TransformerDecoder(Module):
    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        layer_args = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                          layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first, bias=bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(d_model, nhead, **layer_args),
                                              num_encoder_layers, LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(d_model, nhead, **layer_args),
                                              num_decoder_layers, LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        for p in self.parameters():  # PyTorch's _reset_parameters
            if p.ndim > 1:
                init.xavier_uniform_(p)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        _place(self, device, dtype)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        if src.ndim != tgt.ndim or src.ndim not in (2, 3):
            raise OpError(f"Transformer: src and tgt must both be batched (3-D) or both unbatched (2-D), got "
                          f"shapes {tuple(src.shape)} and {tuple(tgt.shape)}")
        batch_axis = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch_axis] != tgt.shape[batch_axis]:
            raise OpError(f"Transformer: the batch number of src and tgt must be equal, got shapes "
                          f"{tuple(src.shape)} and {tuple(tgt.shape)} (batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise OpError(f"Transformer: the feature number of src and tgt must be equal to d_model "
                          f"({self.d_model}), got {src.shape[-1]} and {tgt.shape[-1]}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """(sz, sz) float mask: 0 where key j <= query i, -inf above the diagonal (the future)."""
        if isinstance(sz, bool) or not isinstance(sz, int) or sz < 0:
            raise OpError(f"generate_square_subsequent_mask: sz must be a non-negative int, got {sz!r}")
        return triu(full((sz, sz), -math.inf, dtype=dtype, device=device), diagonal=1)


def _place(module, device, dtype):
    """device= and dtype= of PyTorch's factory arguments: move the new module's parameters."""
    if device is not None:
        module.to(device)
    if dtype is not None:
        dtype = dtypes.check_dtype(dtype, type(module).__name__)
        if dtype == dtypes.float64:
            module.double()
        elif dtype != dtypes.float32:
            raise OpError(f"{type(module).__name__}: dtype must be float32 or float64, got {dtype}")

"""Decoder: a recurrent cell that attends to the encoder's memory at every step (Luong et al., 2015).

One step, from the previous token y_{t-1} and state (s_{t-1}, h~_{t-1}):

    x_t      = [E y_{t-1}; h~_{t-1}]            (batch, embed + H)   input feeding: the last
                                                                    attentional vector goes back in
    s_t      = cell(x_t, s_{t-1})               (batch, H)
    c_t, a_t = attention(s_t, memory, mask)     (batch, M), (batch, S)
    h~_t     = tanh(W_c [c_t; s_t])             (batch, H)
    logits_t = W_out h~_t + b_out               (batch, V)

The query is the new state s_t (Luong's order), whatever the score; Bahdanau's
paper queries with s_{t-1}, before the cell, with its additive score.
The state starts at s_0 = tanh(W_init summary + b_init) (the encoder's final
states, any width) and h~_0 = 0. Without input feeding x_t = E y_{t-1}.
With attention=None the decoder reads the memory only through s_0 (a plain
encoder-decoder, as a sequence autoencoder needs): h~_t = s_t.

The state is a tuple of Tensors, (s, h~) or, for an LSTM cell, (s, c, h~), so
beam search can reorder it row by row.
"""

from ..creation import zeros
from ..errors import OpError
from ..functions import concat
from ..nn.attention import AdditiveAttention, Attention, DotProductAttention, LocalAttention
from ..nn.embedding import Embedding
from ..nn.gru import GRUCell
from ..nn.linear import Linear
from ..nn.lstm import LSTMCell
from ..nn.module import Module
from ..nn.rnn import RNNCell

CELLS = {"rnn": RNNCell, "gru": GRUCell, "lstm": LSTMCell}
ATTENTIONS = ("additive", "dot", "general", "scaled", "local")


def make_attention(kind, query_size, memory_size, window=2):
    """An attention module by name: "additive" (Bahdanau), "dot", "general", "scaled" (dot / sqrt(d))
    (Luong's global attention), "local" (Luong's local-p, general score, half-width `window`)."""
    if kind == "additive":
        return AdditiveAttention(query_size, memory_size, query_size)
    if kind in ("dot", "general"):
        return DotProductAttention(query_size, memory_size, form=kind)
    if kind == "scaled":
        return DotProductAttention(query_size, memory_size, form="dot", scaled=True)
    if kind == "local":
        return LocalAttention(query_size, memory_size, window=window, score="general")
    raise OpError(f"Decoder: attention must be one of {ATTENTIONS}, an Attention module, or None; got {kind!r}")


class Decoder(Module):
    """Decoder(vocab_size, embed_size, hidden_size, memory_size, attention="additive", cell="gru",
    input_feeding=True, summary_size=None, padding_idx=None).

    memory_size: width M of the encoder memory; summary_size: width of the
    encoder summary (defaults to memory_size). attention: a name from
    ATTENTIONS, an Attention module taking (query (batch, H), memory), or None.
    """

    def __init__(self, vocab_size, embed_size, hidden_size, memory_size, attention="additive", cell="gru",
                 input_feeding=True, summary_size=None, padding_idx=None):
        super().__init__()
        if cell not in CELLS:
            raise OpError(f"Decoder: cell must be one of {tuple(CELLS)}, got {cell!r}")
        if isinstance(attention, str):
            attention = make_attention(attention, hidden_size, memory_size)
        elif attention is not None and not isinstance(attention, Attention):
            raise OpError(f"Decoder: attention must be one of {ATTENTIONS}, an Attention module, or None; "
                          f"got {type(attention).__name__}")
        self.vocab_size, self.hidden_size, self.memory_size = vocab_size, hidden_size, memory_size
        self.input_feeding = input_feeding and attention is not None
        self.embedding = Embedding(vocab_size, embed_size, padding_idx=padding_idx)
        self.init = Linear(memory_size if summary_size is None else summary_size, hidden_size)
        self.cell = CELLS[cell](embed_size + (hidden_size if self.input_feeding else 0), hidden_size)
        self.attention = attention
        if attention is not None:
            self.combine = Linear(memory_size + hidden_size, hidden_size, bias=False)
        self.out = Linear(hidden_size, vocab_size)

    def initial_state(self, summary):
        """summary (batch, summary_size) -> the state before the first step."""
        s = self.init(summary).tanh()
        zero = zeros(s.shape, dtype=s.dtype, device=s.device)
        cell = (s, zero) if isinstance(self.cell, LSTMCell) else (s,)  # an LSTM's c_0 starts at zero
        return cell + (zero,)

    def step(self, tokens, state, memory=None, key_padding_mask=None):
        """tokens (batch,) integer y_{t-1} -> (logits (batch, V), new state, weights (batch, S) or None)."""
        if tokens.ndim != 1:
            raise OpError(f"Decoder: step takes one token per batch row, shape (batch,), got {tuple(tokens.shape)}")
        *cell_state, feed = state
        x = self.embedding(tokens)
        if self.input_feeding:
            x = concat([x, feed], axis=-1)
        new = self.cell(x, tuple(cell_state) if len(cell_state) == 2 else cell_state[0])
        new = new if isinstance(new, tuple) else (new,)
        s = new[0]
        weights = None
        if self.attention is None:
            attentional = s
        else:
            if memory is None:
                raise OpError("Decoder: a decoder with attention needs the encoder memory (batch, S, M) at each step")
            context, weights = self.attention(s, memory, key_padding_mask=key_padding_mask)
            attentional = self.combine(concat([context, s], axis=-1)).tanh()
        return self.out(attentional), new + (attentional,), weights

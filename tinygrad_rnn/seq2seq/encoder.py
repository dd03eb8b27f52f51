"""Encoder: token embeddings read by any recurrent layer of the library.

    x_s      = E[src_s]                        (batch, S, embed)
    memory   = rnn(x, lengths)                 (batch, S, D * H), zeros at padded steps
    summary  = [h_fwd_last; h_bwd_last]        (batch, D * H), the top layer's final states

D = 2 for a bidirectional layer: the forward direction's state after the
last real step, the reverse direction's after reading back to the first one.
`memory` is what the decoder attends to, `summary` what starts its state.
"""

from ..errors import OpError
from ..functions import concat
from ..nn.embedding import Embedding
from ..nn.gru import GRU
from ..nn.lstm import LSTM
from ..nn.module import Module
from ..nn.rnn import RNN

LAYERS = {"rnn": RNN, "gru": GRU, "lstm": LSTM}


class Encoder(Module):
    """Encoder(vocab_size, embed_size, hidden_size=None, rnn="gru", num_layers=1, bidirectional=False,
    dropout=0.0, padding_idx=None).

    rnn: "rnn", "gru" or "lstm" (built from the other arguments), or any
    recurrent layer of the library already built with input_size = embed_size
    (for example nn.PeepholeLSTM(8, 16) or nn.ClockworkRNN(8, 16)); its
    own layout (batch_first or not) is respected.
    forward(src, lengths=None) -> (memory, summary), see above.
    src: (batch, S) integer tokens; lengths: one int per row (None = all S).
    """

    def __init__(self, vocab_size, embed_size, hidden_size=None, rnn="gru", num_layers=1, bidirectional=False,
                 dropout=0.0, padding_idx=None):
        super().__init__()
        if isinstance(rnn, str):
            if rnn not in LAYERS:
                raise OpError(f"Encoder: rnn must be one of {tuple(LAYERS)} or a recurrent layer, got {rnn!r}")
            if hidden_size is None:
                raise OpError(f"Encoder: hidden_size is needed to build the {rnn!r} layer")
            rnn = LAYERS[rnn](embed_size, hidden_size, num_layers=num_layers, batch_first=True, dropout=dropout,
                              bidirectional=bidirectional)
        elif not isinstance(rnn, Module):
            raise OpError(f"Encoder: rnn must be one of {tuple(LAYERS)} or a recurrent layer, got {rnn!r}")
        elif getattr(rnn, "input_size", embed_size) != embed_size:
            raise OpError(f"Encoder: the recurrent layer reads inputs of size {rnn.input_size}, but embed_size is "
                          f"{embed_size}")
        self.embedding = Embedding(vocab_size, embed_size, padding_idx=padding_idx)
        self.rnn = rnn
        self.num_directions = 2 if getattr(rnn, "bidirectional", False) else 1
        # a Jordan network outputs its y_t, of output_size; the others their h_t
        self.step_size = getattr(rnn, "output_size", None) or rnn.hidden_size

    @property
    def output_size(self):
        """Width of memory and summary: D * H."""
        return self.num_directions * self.step_size

    def forward(self, src, lengths=None):
        if src.ndim != 2:
            raise OpError(f"Encoder: expected src of shape (batch, S) of integer tokens, got {tuple(src.shape)}")
        x = self.embedding(src)
        batch_first = getattr(self.rnn, "batch_first", False)
        memory, final = self.rnn(x if batch_first else x.transpose(0, 1), lengths=lengths)
        if not batch_first:
            memory = memory.transpose(0, 1)
        h_n = final[0] if isinstance(final, tuple) else final          # LSTM: (h_n, c_n)
        top = [h_n[h_n.shape[0] - self.num_directions + d] for d in range(self.num_directions)]
        summary = top[0] if len(top) == 1 else concat(top, axis=-1)
        return memory, summary

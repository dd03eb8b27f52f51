"""Seq2Seq: an Encoder and a Decoder trained with teacher forcing, decoded greedily or by beam search.

Tokens are integers with three reserved ids: `bos` starts every output, `eos`
ends it, `pad` fills batches (and is ignored by the loss). A target row is
the output followed by EOS, then padding: y_1 .. y_n EOS pad ...

    memory, summary = encoder(src, lengths)                (batch, S, M), (batch, M')
    state_0         = decoder.initial_state(summary)
    logits_t, state_t = decoder.step(y_{t-1}, state_{t-1}, memory, padding)    y_0 = BOS
    loss            = mean over real target tokens of -log softmax(logits_t)[y_t]

Teacher forcing with ratio r: at each step, each row reads the true y_{t-1}
with probability r, else its own previous argmax (scheduled sampling; r = 1
is plain teacher forcing, r = 0 free running).
"""

from .. import backend
from ..autograd import no_grad
from ..creation import tensor
from ..errors import OpError
from ..functions import stack
from ..nn.attention import lengths_to_padding_mask
from ..nn.losses import cross_entropy
from ..nn.module import Module
from ..tensor import Tensor
from .beam_search import Hypothesis, beam_search


def as_tokens(x, where, device=None):
    """Integer tokens (Tensor, array or nested lists) -> integer Tensor on `device` (the model's).

    Lists and arrays are copied there; a Tensor on another device is refused, as
    every op refuses to mix devices."""
    if isinstance(x, Tensor):
        if device is not None and x.device != device:
            raise backend.DeviceError(f"{where}: the tokens are on {x.device} but the model is on {device}; "
                                      f"move them with .to('{device}')")
        t = x
    else:
        t = tensor(x, device=device)
    if t.dtype.kind not in "iu":
        raise OpError(f"{where}: tokens must be integers, got dtype {t.dtype}")
    return t


class Seq2Seq(Module):
    """Seq2Seq(encoder, decoder, bos, eos, pad).

    forward(src, target, src_lengths=None, teacher_forcing=1.0) -> logits (batch, T, V)
    loss(src, target, src_lengths=None, teacher_forcing=1.0) -> scalar cross-entropy
    greedy(src, src_lengths=None, max_len=None) -> one Hypothesis per row
    beam_search(src, src_lengths=None, beam_width=4, max_len=None, length_penalty=1.0) -> one Hypothesis per row
    src: (batch, S) tokens, src_lengths one int per row; max_len defaults to 2 S + 2.
    """

    def __init__(self, encoder, decoder, bos, eos, pad):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.bos, self.eos, self.pad = bos, eos, pad

    def encode(self, src, src_lengths=None):
        """-> (memory (batch, S, M), padding mask (batch, S) or None, initial decoder state)."""
        src = as_tokens(src, type(self).__name__, self.device)
        memory, summary = self.encoder(src, src_lengths)
        mask = None
        if src_lengths is not None:
            mask = lengths_to_padding_mask(src_lengths, max_len=src.shape[1], device=memory.device)
        return memory, mask, self.decoder.initial_state(summary)

    def forward(self, src, target, src_lengths=None, teacher_forcing=1.0):
        device = self.device
        src, target = as_tokens(src, type(self).__name__, device), as_tokens(target, type(self).__name__, device)
        if target.ndim != 2 or target.shape[0] != src.shape[0]:
            raise OpError(f"Seq2Seq: expected target of shape (batch, T) with batch {src.shape[0]}, "
                          f"got {tuple(target.shape)}")
        memory, mask, state = self.encode(src, src_lengths)
        xp = backend.xp_of(target.array)
        batch, steps = target.shape
        previous = xp.full((batch,), self.bos, dtype=target.dtype)
        logits = []
        for t in range(steps):
            step_logits, state, _ = self.decoder.step(Tensor._make(previous), state, memory, mask)
            logits.append(step_logits)
            previous = self._next_inputs(target.array[:, t], step_logits, teacher_forcing)
        return stack(logits, axis=1)

    def _next_inputs(self, truth, logits, ratio):
        if ratio >= 1.0:
            return truth
        guess = logits.array.argmax(axis=-1).astype(truth.dtype)
        if ratio <= 0.0:
            return guess
        use_truth = backend.rng(logits.device).random(truth.shape[0]) < ratio  # drawn where the tokens are
        return backend.xp_of(truth).where(use_truth, truth, guess)

    def loss(self, src, target, src_lengths=None, teacher_forcing=1.0):
        """Mean cross-entropy per real (non-pad) target token."""
        logits = self(src, target, src_lengths, teacher_forcing)
        batch, steps, vocab = logits.shape
        target = as_tokens(target, type(self).__name__, logits.device)
        return cross_entropy(logits.reshape(batch * steps, vocab), target.reshape(batch * steps),
                             ignore_index=self.pad)

    # ---- decoding ----------------------------------------------------------------
    def greedy(self, src, src_lengths=None, max_len=None):
        """The argmax token at every step until EOS or max_len, per row."""
        with no_grad():
            memory, mask, state = self.encode(src, src_lengths)
            batch = memory.shape[0]
            max_len = self._max_len(memory, max_len)
            np = backend.np
            previous = np.full(batch, self.bos, dtype=np.int64)
            outputs, scores, attention = [[] for _ in range(batch)], np.zeros(batch), [[] for _ in range(batch)]
            running = np.ones(batch, dtype=bool)
            for _ in range(max_len):
                logits, state, weights = self.decoder.step(self._tokens(previous, memory), state, memory, mask)
                log_probs = logits.log_softmax(axis=-1).numpy()
                previous = log_probs.argmax(axis=-1)
                weights = None if weights is None else weights.numpy()
                for b in np.flatnonzero(running):
                    scores[b] += log_probs[b, previous[b]]
                    if weights is not None:
                        attention[b].append(weights[b])
                    if previous[b] == self.eos:
                        running[b] = False
                    else:
                        outputs[b].append(int(previous[b]))
                if not running.any():
                    break
        return [Hypothesis(outputs[b], float(scores[b]), float(scores[b]),
                           np.stack(attention[b]) if attention[b] else None) for b in range(batch)]

    def beam_search(self, src, src_lengths=None, beam_width=4, max_len=None, length_penalty=1.0):
        """The best hypothesis of a beam of `beam_width` per row (see beam_search.py)."""
        with no_grad():
            memory, mask, state = self.encode(src, src_lengths)
            batch = memory.shape[0]
            max_len = self._max_len(memory, max_len)
            rows = backend.np.repeat(backend.np.arange(batch), beam_width)  # a host index: checked, then copied
            memory = memory[rows]
            mask = None if mask is None else mask[rows]
            state = tuple(s[rows] for s in state)

            def step(tokens, state):
                logits, state, weights = self.decoder.step(self._tokens(tokens, memory), state, memory, mask)
                return logits.log_softmax(axis=-1), state, weights

            finished = beam_search(step, state, batch, self.bos, self.eos, beam_width, max_len, length_penalty)
        return [f[0] for f in finished]

    @property
    def device(self):
        """Where the parameters live: token lists and arrays are copied there."""
        first = next(self.parameters(), None)
        return "cpu" if first is None else first.device

    def _max_len(self, memory, max_len):
        return 2 * memory.shape[1] + 2 if max_len is None else max_len

    @staticmethod
    def _tokens(host_tokens, like):
        return Tensor._make(backend.as_array(host_tokens, device=like.device))

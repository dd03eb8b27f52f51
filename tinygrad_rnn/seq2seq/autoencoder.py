"""SequenceAutoencoder: an encoder-decoder that reconstructs its own input.

    x~        = corrupt(x)                 training only, when any noise is set (a denoising autoencoder)
    memory, z = encoder(x~)                z (batch, M'): the code, the encoder's final states
    x^        = decoder(z, memory)         trained to output x then EOS, with teacher forcing

With a decoder without attention (attention=None) everything the decoder
knows passes through z, so z is a fixed-size summary of the whole sequence;
with attention the model can also copy from the (corrupted) input.
"""

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor
from .model import Seq2Seq, as_tokens
from .noise import corrupt


class SequenceAutoencoder(Seq2Seq):
    """SequenceAutoencoder(encoder, decoder, bos, eos, pad, drop_prob=0.0, mask_prob=0.0, mask_token=None,
    shuffle_window=0).

    reconstruction_loss(src, src_lengths=None, teacher_forcing=1.0) -> scalar, x~ -> x EOS
    code(src, src_lengths=None) -> z (batch, M')
    reconstruct(src, src_lengths=None, beam_width=1, max_len=None) -> one Hypothesis per row
    The noise (see noise.corrupt) is applied in training mode only.
    """

    def __init__(self, encoder, decoder, bos, eos, pad, drop_prob=0.0, mask_prob=0.0, mask_token=None,
                 shuffle_window=0):
        super().__init__(encoder, decoder, bos, eos, pad)
        self.drop_prob, self.mask_prob, self.mask_token = drop_prob, mask_prob, mask_token
        self.shuffle_window = shuffle_window

    @property
    def denoising(self):
        return self.drop_prob > 0 or self.mask_prob > 0 or self.shuffle_window > 0

    def targets(self, src, src_lengths):
        """src (batch, S) -> (batch, S + 1): each row's tokens, EOS, then padding."""
        np = backend.np
        tokens, lengths = self._host(src, src_lengths)
        target = np.full((tokens.shape[0], tokens.shape[1] + 1), self.pad, dtype=np.int64)
        for b, n in enumerate(lengths):
            target[b, :n] = tokens[b, :n]
            target[b, n] = self.eos
        return target

    def corrupt(self, src, src_lengths=None):
        """The noisy input and its lengths (unchanged in eval mode or without noise)."""
        tokens, lengths = self._host(src, src_lengths)
        if not (self.training and self.denoising):
            return tokens, lengths
        return corrupt(tokens, lengths, self.drop_prob, self.mask_prob, self.mask_token, self.shuffle_window,
                       self.pad)

    def reconstruction_loss(self, src, src_lengths=None, teacher_forcing=1.0):
        device = self.device
        src, src_lengths = self._host(src, src_lengths)  # read back once (if on a GPU) for the noise and targets
        noisy, noisy_lengths = self.corrupt(src, src_lengths)
        target = as_tokens(self.targets(src, src_lengths), type(self).__name__, device)
        return self.loss(as_tokens(noisy, type(self).__name__, device), target, noisy_lengths, teacher_forcing)

    def code(self, src, src_lengths=None):
        """The fixed-size code z (batch, M') of each sequence (no noise, no graph)."""
        with no_grad():
            return self.encoder(as_tokens(src, type(self).__name__, self.device), src_lengths)[1]

    def reconstruct(self, src, src_lengths=None, beam_width=1, max_len=None):
        if beam_width > 1:
            return self.beam_search(src, src_lengths, beam_width=beam_width, max_len=max_len)
        return self.greedy(src, src_lengths, max_len=max_len)

    @staticmethod
    def _host(src, src_lengths):
        """Tokens (batch, S) and lengths (batch,) as host arrays: the noise is drawn row by row on the host."""
        np = backend.np
        tokens = _host_array(src)
        lengths = np.full(tokens.shape[0], tokens.shape[1]) if src_lengths is None else _host_array(src_lengths)
        return tokens, lengths.astype(np.int64)


def _host_array(x):
    x = x.array if isinstance(x, Tensor) else x
    return backend.to_numpy(x) if backend.is_array(x) else backend.np.asarray(x)

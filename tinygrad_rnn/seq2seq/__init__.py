"""Sequence to sequence: an encoder, an attention decoder, teacher forcing, greedy and beam-search
decoding, sequence autoencoders, and the digit-string toy tasks."""

from .beam_search import Hypothesis, beam_search
from .decoder import Decoder, make_attention
from .encoder import Encoder
from .model import Seq2Seq

__all__ = ["Encoder", "Decoder", "Seq2Seq", "Hypothesis", "beam_search", "make_attention"]

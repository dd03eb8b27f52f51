"""Sequence to sequence: an encoder, an attention decoder, teacher forcing, greedy and beam-search
decoding, sequence autoencoders, and the digit-string toy tasks."""

from .autoencoder import SequenceAutoencoder
from .beam_search import Hypothesis, beam_search
from .decoder import Decoder, make_attention
from .digits import train_digit_task, train_reversal
from .encoder import Encoder
from .model import Seq2Seq
from .noise import corrupt

__all__ = ["Encoder", "Decoder", "Seq2Seq", "SequenceAutoencoder", "Hypothesis", "beam_search", "make_attention",
           "corrupt", "train_digit_task", "train_reversal"]

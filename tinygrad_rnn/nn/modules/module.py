"""torch.nn.modules.module's names: the same class as tinygrad_rnn.nn's."""

from ..module import Module

__all__ = ["Module"]

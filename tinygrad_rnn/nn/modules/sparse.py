"""torch.nn.modules.sparse's names: the same class as tinygrad_rnn.nn's."""

from ..embedding import Embedding
from ._later import resolve_from_nn

__getattr__ = resolve_from_nn(__name__, ("EmbeddingBag",))

__all__ = ["Embedding"]

"""torch.nn.modules.normalization's names: the same classes as tinygrad_rnn.nn's."""

from ..layer_norm import LayerNorm
from ._later import resolve_from_nn

__getattr__ = resolve_from_nn(__name__, ("GroupNorm", "RMSNorm", "LocalResponseNorm", "CrossMapLRN2d"))

__all__ = ["LayerNorm"]

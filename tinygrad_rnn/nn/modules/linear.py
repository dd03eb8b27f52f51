"""torch.nn.modules.linear's names: the same classes as tinygrad_rnn.nn's."""

from ..identity import Identity
from ..linear import Linear
from ._later import resolve_from_nn

__getattr__ = resolve_from_nn(__name__, ("Bilinear", "LazyLinear"))

__all__ = ["Identity", "Linear"]

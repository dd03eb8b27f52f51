"""torch.nn.modules.dropout's names: the same classes as tinygrad_rnn.nn's."""

from ..dropout import Dropout, Dropout1d, Dropout2d
from ._later import resolve_from_nn

__getattr__ = resolve_from_nn(__name__, ("Dropout3d", "AlphaDropout", "FeatureAlphaDropout"))

__all__ = ["Dropout", "Dropout1d", "Dropout2d"]

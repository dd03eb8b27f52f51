"""torch.nn.modules.container's names: the same classes as tinygrad_rnn.nn's."""

from ..containers import ModuleList, Sequential
from ._later import resolve_from_nn

__getattr__ = resolve_from_nn(__name__, ("ModuleDict", "ParameterList", "ParameterDict"))

__all__ = ["Sequential", "ModuleList"]

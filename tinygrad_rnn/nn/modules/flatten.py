"""torch.nn.modules.flatten's names, served from tinygrad_rnn.nn where it defines them."""

from ._later import resolve_from_nn

__getattr__ = resolve_from_nn(__name__, ("Flatten", "Unflatten"))

"""torch.nn.modules.loss's names: the same classes as tinygrad_rnn.nn's."""

from ..loss_modules import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from ._later import resolve_from_nn

__getattr__ = resolve_from_nn(__name__, ("BCELoss", "KLDivLoss", "SmoothL1Loss", "HuberLoss", "CTCLoss",
                                         "GaussianNLLLoss", "PoissonNLLLoss"))

__all__ = ["L1Loss", "MSELoss", "NLLLoss", "CrossEntropyLoss", "BCEWithLogitsLoss"]

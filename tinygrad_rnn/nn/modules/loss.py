"""torch.nn.modules.loss's names: the same classes as tinygrad_rnn.nn's."""

from ..loss_modules import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from ..losses_extra import BCELoss, HuberLoss, KLDivLoss, SmoothL1Loss
from ._later import resolve_from_nn

__getattr__ = resolve_from_nn(__name__, ("CTCLoss",
                                         "GaussianNLLLoss", "PoissonNLLLoss"))

__all__ = ["L1Loss", "MSELoss", "NLLLoss", "CrossEntropyLoss", "BCEWithLogitsLoss", "BCELoss", "HuberLoss",
           "SmoothL1Loss", "KLDivLoss"]

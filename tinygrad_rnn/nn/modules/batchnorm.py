"""torch.nn.modules.batchnorm's names: the same classes as tinygrad_rnn.nn's."""

from ..batch_norm import BatchNorm1d
from ._later import resolve_from_nn

__getattr__ = resolve_from_nn(__name__, ("BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LazyBatchNorm1d"))

__all__ = ["BatchNorm1d"]

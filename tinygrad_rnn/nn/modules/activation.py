"""torch.nn.modules.activation's names: the same classes as tinygrad_rnn.nn's."""

from ..activation import LogSigmoid, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from ..attention import MultiheadAttention
from ._later import resolve_from_nn

__getattr__ = resolve_from_nn(__name__, ("GELU", "ELU", "LeakyReLU", "SiLU", "Softplus", "Softsign", "Hardtanh",
                                         "PReLU", "Mish", "Tanhshrink", "Softmin", "Threshold"))

__all__ = ["ReLU", "Sigmoid", "Tanh", "LogSigmoid", "Softmax", "LogSoftmax", "MultiheadAttention"]

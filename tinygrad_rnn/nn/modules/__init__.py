"""nn.modules: PyTorch's module layout, file by file (nn.modules.rnn.LSTM, nn.modules.linear.Linear, ...),
each name the very class tinygrad_rnn.nn defines, for programs that name classes by these paths
(safe-globals allow-lists, isinstance checks). The classes live where this library's layout puts them."""

from . import activation, batchnorm, container, dropout, flatten, linear, loss, module, normalization, rnn, sparse
from . import transformer
from .activation import LogSigmoid, LogSoftmax, MultiheadAttention, ReLU, Sigmoid, Softmax, Tanh
from .batchnorm import BatchNorm1d
from .container import ModuleList, Sequential
from .dropout import Dropout, Dropout1d, Dropout2d
from .linear import Identity, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module
from .normalization import LayerNorm
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding

__all__ = ["activation", "batchnorm", "container", "dropout", "flatten", "linear", "loss", "module",
           "normalization", "rnn", "sparse", "transformer", "Module", "Linear", "Identity", "Sequential",
           "ModuleList", "Dropout", "Dropout1d", "Dropout2d", "ReLU", "Sigmoid", "Tanh", "LogSigmoid", "Softmax",
           "LogSoftmax", "MultiheadAttention", "BatchNorm1d", "LayerNorm", "RNNBase", "RNN", "LSTM", "GRU",
           "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell", "Embedding", "L1Loss", "MSELoss", "NLLLoss",
           "CrossEntropyLoss", "BCEWithLogitsLoss"]

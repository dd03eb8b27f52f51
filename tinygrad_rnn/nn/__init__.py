"""Layers, recurrent cells and layers, attention, losses and initialisation."""

from .containers import ModuleList, Sequential
from .linear import Linear
from .module import Module, StateDictError
from .parameter import Parameter

__all__ = ["Module", "Parameter", "ModuleList", "Sequential", "Linear", "StateDictError"]

# recurrent variants from the literature, sequence readouts, BPTT helpers
from .bptt import detach_state, step_gradient_norms, truncated_bptt, unroll  # noqa: E402
from .clockwork import ClockworkRNN  # noqa: E402
from .jordan import JordanRNN  # noqa: E402
from .peephole_lstm import PeepholeLSTM, PeepholeLSTMCell  # noqa: E402
from .readout import SequenceReadout, last_step, mean_over_steps  # noqa: E402

__all__ += ["PeepholeLSTMCell", "PeepholeLSTM", "JordanRNN", "ClockworkRNN", "SequenceReadout", "last_step",
            "mean_over_steps", "truncated_bptt", "step_gradient_norms", "unroll", "detach_state"]

# layers, activations, losses, initialisation, clipping
from . import functional, init, utils  # noqa: E402
from .activation import LogSigmoid, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh  # noqa: E402
from .dropout import Dropout  # noqa: E402
from .embedding import Embedding  # noqa: E402
from .identity import Identity  # noqa: E402
from .loss_modules import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss  # noqa: E402

__all__ += ["functional", "init", "utils", "Tanh", "Sigmoid", "ReLU", "LogSigmoid", "Softmax", "LogSoftmax",
            "Dropout", "Embedding", "Identity", "MSELoss", "L1Loss", "NLLLoss", "CrossEntropyLoss", "BCEWithLogitsLoss"]

# attention: additive, dot-product, local, multi-head, and their masks
from .attention import (  # noqa: E402
    AdditiveAttention,
    Attention,
    DotProductAttention,
    LocalAttention,
    MultiheadAttention,
    causal_mask,
    lengths_to_padding_mask,
)

__all__ += ["Attention", "AdditiveAttention", "DotProductAttention", "LocalAttention", "MultiheadAttention",
            "causal_mask", "lengths_to_padding_mask"]

# recurrent cells and layers (PyTorch's API), and the choice between their two implementations
from .gru import GRU, GRUCell  # noqa: E402
from .lstm import LSTM, LSTMCell  # noqa: E402
from .recurrent_base import get_recurrent_impl, set_recurrent_impl  # noqa: E402
from .rnn import RNN, RNNCell  # noqa: E402

__all__ += ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "set_recurrent_impl", "get_recurrent_impl"]

# LSTM variants PyTorch's fused cells cannot give: layer normalisation, variational dropout
from .layer_norm_lstm import LayerNormLSTM, LayerNormLSTMCell  # noqa: E402
from .variational_lstm import VariationalLSTM  # noqa: E402

__all__ += ["LayerNormLSTMCell", "LayerNormLSTM", "VariationalLSTM"]

# normalisation layers, channel dropout, buffers' first users (PyTorch's names)
from .batch_norm import BatchNorm1d  # noqa: E402
from .dropout import Dropout1d, Dropout2d  # noqa: E402
from .layer_norm import LayerNorm  # noqa: E402

__all__ += ["LayerNorm", "BatchNorm1d", "Dropout1d", "Dropout2d"]

# Transformer layers (PyTorch's names and parameter layout) and GELU
from .gelu import GELU  # noqa: E402
from .transformer import (  # noqa: E402
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ += ["GELU", "Transformer", "TransformerEncoder", "TransformerEncoderLayer", "TransformerDecoder",
            "TransformerDecoderLayer"]

# PyTorch's file layout, nn.modules.<file>.<Class>, naming the classes above (imported last: it needs them)
from . import modules  # noqa: E402

__all__ += ["modules"]

# more losses: binary cross-entropy on probabilities, smooth L1, Huber
from .losses_extra import BCELoss, HuberLoss, KLDivLoss, SmoothL1Loss  # noqa: E402

__all__ += ["BCELoss", "HuberLoss", "KLDivLoss", "SmoothL1Loss"]

# more activations (functions and modules), and Flatten
from .activation_more import ELU, Flatten, Hardtanh, LeakyReLU, Mish, PReLU, SiLU, Softplus, Softsign  # noqa: E402

__all__ += ["ELU", "Flatten", "Hardtanh", "LeakyReLU", "Mish", "PReLU", "SiLU", "Softplus", "Softsign"]

# named containers
from .containers_more import ModuleDict, ParameterDict, ParameterList  # noqa: E402

__all__ += ["ModuleDict", "ParameterDict", "ParameterList"]

# PyTorch layers left out on purpose: asking for one says so (tinygrad_rnn/absent.py)
from ..absent import absent_getattr  # noqa: E402

__getattr__ = absent_getattr(__name__)

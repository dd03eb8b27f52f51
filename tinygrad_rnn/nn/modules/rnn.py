"""torch.nn.modules.rnn's names: the same classes as tinygrad_rnn.nn's (RNNBase and RNNCellBase are
the shared bases of the layers and of the cells)."""

from ..gru import GRU, GRUCell
from ..lstm import LSTM, LSTMCell
from ..recurrent_base import RecurrentBase as RNNBase
from ..recurrent_base import RecurrentCellBase as RNNCellBase
from ..rnn import RNN, RNNCell

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

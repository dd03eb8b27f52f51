"""Backpropagation through time by hand: one op per recurrent family and direction.

A recurrent layer has two implementations that give the same numbers:

    impl="composite"   BPTT by autograd. Each step is built from primitive ops (matmul,
                       add, sigmoid, tanh, mul), recorded under the scopes
                       "LSTM layer 0 forward" / "t=7"; loss.backward() walks the unrolled
                       graph back, step by step, and draw_graph shows every step.
    impl="fused"       BPTT by hand (the default). The whole sequence of one layer and
                       direction is one op of this package: its forward loops over
                       t = 0..T-1 with the cell's maths and keeps what backward needs; its
                       backward loops over t = T-1..0 with the derivatives written out and
                       returns the gradient of every input at once.

Read a file here beside the composite step in nn/ to see both sides of the lesson:

    rnn.py             RNNBPTT, the Elman RNN (tanh or relu)
    lstm.py            LSTMBPTT
    gru.py             GRUBPTT
    peephole_lstm.py   PeepholeLSTMBPTT, the LSTM whose gates also see the cell
    op.py              what they share: the input projection, the time index of the
                       states, masks for padded batches, anomaly checks, per-step
                       gradient norms, the drawing's label

Every op: forward(x (T, B, I), initial state, W_ih, W_hh[, biases]) ->
(output (T, B, H), final state); one GEMM per gate for the input projection of
all steps, one batched product per step for the recurrent one, and the weight
gradients summed over the steps as one GEMM per gate after the backward loop.
Each family's pointwise maths is a pair of cell functions (cell_forward and
cell_backward; tanh_forward, relu_forward and their backwards for the RNN),
ufunc calls with out=; on CUDA each call runs instead as one fused kernel
(tinygrad_rnn/kernels.py), the same maths in one launch.
"""

from .gru import GRUBPTT
from .lstm import LSTMBPTT
from .op import BPTTOp
from .peephole_lstm import PeepholeLSTMBPTT
from .rnn import NONLINEARITIES, RNNBPTT, check_nonlinearity

__all__ = ["BPTTOp", "RNNBPTT", "LSTMBPTT", "GRUBPTT", "PeepholeLSTMBPTT", "NONLINEARITIES", "check_nonlinearity"]

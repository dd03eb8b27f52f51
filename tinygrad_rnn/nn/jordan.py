"""Output-recurrent (Jordan-style) network: only the previous output feeds back.

An Elman network (nn.RNN) carries its hidden state from step to step; a
Jordan network forgets it and carries its output instead:

    h_t = tanh(x_t W_ih^T + b_ih + y_{t-1} W_yh^T + b_yh)      (batch, H)
    y_t = h_t W_hy^T + b_hy                                     (batch, O)

    x_t: (batch, input_size), W_ih: (H, input_size), b_ih: (H,), W_yh: (H, O), b_yh: (H,),
    W_hy: (O, H), b_hy: (O,), y_0 = 0 unless given

So everything step t knows about the past is y_{t-1}: two histories with the
same last output continue identically. The output is linear; put the loss's
squashing (softmax, sigmoid) in the loss. Parameters start from
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) like nn.Linear's, with fan_in = input_size + O
for the hidden pre-activation (W_ih, W_yh, b_ih, b_yh) and H for the output.
"""

import math

from .. import autograd
from ..functions import stack
from .linear import uniform_parameter
from .module import Module
from .sequence_checks import advance, initial_state, step_masks, time_major_sequence


def jordan_step(x, y, weight_ih, weight_yh, weight_hy, bias_ih=None, bias_yh=None, bias_hy=None):
    """One step of the equations above: (x_t, y_{t-1}) -> (y_t, h_t)."""
    a = x @ weight_ih.T + y @ weight_yh.T
    if bias_ih is not None:
        a = a + bias_ih + bias_yh
    h = a.tanh()
    out = h @ weight_hy.T
    return (out + bias_hy if bias_hy is not None else out), h


class JordanRNN(Module):
    """forward(x, y0=None, lengths=None) -> (output, y_n)

        x: (T, batch, input_size) ((batch, T, input_size) with batch_first)
        y0: (1, batch, output_size), the output fed to the first step; zeros when None
        output: (T, batch, output_size), every y_t; y_n: (1, batch, output_size), the last
        lengths: one int per batch item; padded steps keep y and give zeros in output

    The (1, batch, .) state layout is nn.RNN's h_n with one layer, so y_n can be
    passed back as y0 to continue a sequence (truncated BPTT does exactly that).
    Each step is recorded under the scopes "JordanRNN layer 0 forward" / "t={t}".
    """

    def __init__(self, input_size, hidden_size, output_size, bias=True, batch_first=False):
        super().__init__()
        self.input_size, self.hidden_size, self.output_size = input_size, hidden_size, output_size
        self.bias, self.batch_first = bias, batch_first
        in_bound, hid_bound = 1 / math.sqrt(input_size + output_size), 1 / math.sqrt(hidden_size)
        self.weight_ih = uniform_parameter((hidden_size, input_size), in_bound)
        self.weight_yh = uniform_parameter((hidden_size, output_size), in_bound)
        self.weight_hy = uniform_parameter((output_size, hidden_size), hid_bound)
        self.register_parameter("bias_ih", uniform_parameter((hidden_size,), in_bound) if bias else None)
        self.register_parameter("bias_yh", uniform_parameter((hidden_size,), in_bound) if bias else None)
        self.register_parameter("bias_hy", uniform_parameter((output_size,), hid_bound) if bias else None)

    def forward(self, x, y0=None, lengths=None):
        name = type(self).__name__
        x, steps, batch, lengths = time_major_sequence(name, x, self.input_size, self.batch_first,
                                                       self.weight_ih, lengths)
        masks = step_masks(lengths, steps, x)
        y0 = initial_state(name, "y0", y0, (1, batch, self.output_size), x)
        params = (self.weight_ih, self.weight_yh, self.weight_hy, self.bias_ih, self.bias_yh, self.bias_hy)
        y, outputs = y0[0], []
        with autograd.scope(f"{name} layer 0 forward"):
            for t in autograd.step_scopes(range(steps)):
                y_new, _ = jordan_step(x[t], y, *params)
                y, out = advance(y_new, y, masks, t)
                outputs.append(out)
        output = stack(outputs, axis=0)
        return (output.transpose(0, 1) if self.batch_first else output), y.unsqueeze(0)

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}, {self.output_size}, bias={self.bias}, "
                f"batch_first={self.batch_first}")

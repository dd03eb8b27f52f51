"""Clockwork RNN (Koutnik, Greff, Gomez & Schmidhuber, 2014).

The H hidden units are cut into g equal modules of H/g units with clock
periods T_1 < T_2 < ... < T_g (by default 1, 2, 4, ..., 2^(g-1)). At step t
(counted from `start_step`, 0 by default) module i is active when
t % T_i == 0; an active module computes a tanh-RNN update, an inactive one
keeps its state:

    a_t = x_t W_ih^T + b_ih + h_{t-1} (W_hh * M)^T + b_hh       (batch, H)
    h_t = where(active_t, tanh(a_t), h_{t-1})                   active_t: (H,), unit in an active module

    x_t: (batch, input_size), h: (batch, H), W_ih: (H, input_size), W_hh: (H, H), b_ih, b_hh: (H,)

M is the connectivity mask. Modules are laid out in the order of increasing
period (module 0, the fastest, holds units 0 .. H/g - 1), and W_hh's rows are
the receiving units, its columns the sending ones (h W_hh^T, as nn.RNN). A
module reads only from itself and from slower modules:

    M[u, v] = 1 if period(module of v) >= period(module of u) else 0

so with this ordering M is block upper-triangular: row block i is non-zero in
column blocks i..g-1. Fast modules see slow ones, never the reverse, and the
entries of W_hh outside M get a zero gradient. Every step computes all rows
and discards the inactive ones: simpler to read than gathering the active rows,
and the same numbers.
"""

import math

from .. import autograd, backend
from ..errors import OpError
from ..functions import stack, where
from .linear import uniform_parameter
from .module import Module
from .sequence_checks import advance, initial_state, step_masks, time_major_sequence


def module_of_unit(hidden_size, periods):
    """(H,) host int array: the module index of every hidden unit."""
    return backend.np.repeat(backend.np.arange(len(periods)), hidden_size // len(periods))


def connectivity_mask(hidden_size, periods):
    """(H, H) host 0/1 array M: M[u, v] = 1 when unit u may read unit v (period(v) >= period(u))."""
    period = backend.np.asarray(periods)[module_of_unit(hidden_size, periods)]
    return (period[None, :] >= period[:, None]).astype(backend.float64)


def active_units(hidden_size, periods, t):
    """(H,) host bool array: True for the units of the modules that update at step t."""
    period = backend.np.asarray(periods)[module_of_unit(hidden_size, periods)]
    return t % period == 0


class ClockworkRNN(Module):
    """forward(x, hx=None, lengths=None, start_step=0) -> (output, h_n)

        x: (T, batch, input_size) ((batch, T, input_size) with batch_first)
        hx: (1, batch, H), zeros when None; output: (T, batch, H), every h_t; h_n: (1, batch, H)
        lengths: one int per batch item; padded steps keep the state and give zeros in output
        start_step: the clock value of x's first step, so a sequence cut into pieces keeps its
            rhythm (pieces whose length is a multiple of the longest period need nothing)

    ClockworkRNN(input_size, hidden_size, num_modules=4, periods=None): periods default to
    1, 2, 4, ..., 2^(num_modules-1); given, they must be positive and increasing, and
    hidden_size must be a multiple of their number. Parameters weight_ih, weight_hh,
    bias_ih, bias_hh as nn.RNN's (bias_ih/bias_hh without the _l0), from U(-1/sqrt(H), 1/sqrt(H)).
    Each step is recorded under the scopes "ClockworkRNN layer 0 forward" / "t={t}".
    """

    def __init__(self, input_size, hidden_size, num_modules=4, periods=None, bias=True, batch_first=False):
        super().__init__()
        periods = tuple(2 ** i for i in range(num_modules)) if periods is None else tuple(periods)
        if not periods or any(int(p) != p or p < 1 for p in periods) or list(periods) != sorted(set(periods)):
            raise OpError(f"ClockworkRNN: periods must be positive integers in increasing order, got {periods}")
        if hidden_size % len(periods):
            raise OpError(f"ClockworkRNN: hidden_size={hidden_size} must be a multiple of the number of "
                          f"modules ({len(periods)}, periods {periods})")
        self.input_size, self.hidden_size, self.periods = input_size, hidden_size, tuple(int(p) for p in periods)
        self.bias, self.batch_first = bias, batch_first
        bound = 1 / math.sqrt(hidden_size)
        self.weight_ih = uniform_parameter((hidden_size, input_size), bound)
        self.weight_hh = uniform_parameter((hidden_size, hidden_size), bound)
        self.register_parameter("bias_ih", uniform_parameter((hidden_size,), bound) if bias else None)
        self.register_parameter("bias_hh", uniform_parameter((hidden_size,), bound) if bias else None)

    @property
    def module_size(self):
        return self.hidden_size // len(self.periods)

    def forward(self, x, hx=None, lengths=None, start_step=0):
        name = type(self).__name__
        x, steps, batch, lengths = time_major_sequence(name, x, self.input_size, self.batch_first,
                                                       self.weight_ih, lengths)
        masks = step_masks(lengths, steps, x)
        hx = initial_state(name, "hx", hx, (1, batch, self.hidden_size), x)
        h, outputs = hx[0], []
        with autograd.scope(f"{name} layer 0 forward"):
            mask = backend.as_array(connectivity_mask(self.hidden_size, self.periods), dtype=x.dtype, device=x.device)
            weight_hh = self.weight_hh * mask
            for t in autograd.step_scopes(range(steps)):
                active = backend.as_array(active_units(self.hidden_size, self.periods, start_step + t),
                                          device=x.device)
                a = x[t] @ self.weight_ih.T + h @ weight_hh.T
                if self.bias_ih is not None:
                    a = a + self.bias_ih + self.bias_hh
                h_new = where(active, a.tanh(), h)
                h, out = advance(h_new, h, masks, t)
                outputs.append(out)
        output = stack(outputs, axis=0)
        return (output.transpose(0, 1) if self.batch_first else output), h.unsqueeze(0)

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}, periods={self.periods}, bias={self.bias}, "
                f"batch_first={self.batch_first}")

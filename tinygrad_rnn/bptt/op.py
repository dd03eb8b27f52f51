"""What the BPTT ops share: the bookkeeping of a loop over time, written once.

Each op of this package is one recurrent layer in one direction over a whole
sequence, one node of the graph (the cell's maths is in its own file):

    x (T, B, I), h_0 (B, H), ...  ->  output (T, B, H), h_n (B, H), ...

This file holds the rest:

    per_gate                W_k for every gate k: (G, H, in) views of W's rows (the gates' own
                            array, laid out for the batch size, is in gates.py)
    the time index          the states of all steps live in one array hs (T + 1, B, H). Forward:
                            the state before step t is hs[t] and after it hs[t + 1]. Reverse
                            (t runs T-1..0): before is hs[t + 1], after hs[t], the initial
                            state sits at the end. Either way the output is one slice of hs and
                            h_{t-1} of every step is another, so dW_hh is one GEMM per gate.
    masks (lengths)         step t of sequence b is real when t < lengths[b]; a padded step keeps
                            the state and outputs zeros. Steps past the longest sequence are not
                            run at all; at a partly padded step the cell runs for every sequence
                            and the state is put back where the step is padding:
                                state_t = real ? new_t : state_{t-1},   out_t = real ? new_t : 0
                            so backward sends real ? (dstate_t + dout_t) : 0 into the cell and
                            passes padded ? dstate_t : 0 straight on to state_{t-1}.
    anomaly                 under detect_anomaly() each step's new state and each step's
                            gradient are checked, so the error names the step, as the composite
                            path's does (its ops are tagged "t=7")
    grad norms              under record_grad_norms() backward keeps ||dL/dh_t|| of every step,
                            the gradient reaching the step's new hidden state from the output and
                            from the later steps (step_grad_norms), and the same with dL/dc_t
                            beside it for an LSTM (step_state_grad_norms)
    label                   what draw_graph writes on the node

retain_graph: the engine sets self.retain_graph before each backward. False means
this is the node's last backward, so its private buffers (the gate activations)
may become their gradients in place; True means they must survive, and backward
works on copies. Nothing is shared between ops, and no array handed out is ever
written by backward: the output is a slice of hs (saved with it, so that the engine
can see a change to it) or, with lengths, a masked copy; h_n and c_n are copies.
"""

from ..autograd import Function, current_scope, is_recording_grad_norms
from ..backend import xp_of
from ..errors import OpError


class BPTTOp(Function):
    """Base of the hand-written BPTT ops: one layer, one direction, the whole sequence.

    reverse: run t = T-1 .. 0 (the second direction of a bidirectional layer).
    masks:   nn.sequence_checks.StepMasks of the batch's lengths, or None when every
             sequence has all T steps.
    """

    family = "RNN"   # the layer family, for messages and the drawing
    gates = 1        # G: gate blocks in the rows of W_ih and W_hh

    def __init__(self, reverse=False, masks=None):
        self.reverse = 1 if reverse else 0   # r in the time index (module docstring)
        self.masks = masks
        self.steps = 0                       # T, known once forward ran
        self.step_grad_norms = None          # ||dL/dh_t|| per step, after a backward under record_grad_norms
        self.step_state_grad_norms = None

    # ---- the loop -----------------------------------------------------------------------------------------
    def active_steps(self, steps):
        """Steps that run: all T, or up to the longest sequence (the rest is padding for everyone)."""
        return steps if self.masks is None else self.masks.active_steps

    def order(self, active):
        """The steps in the order forward visits them; backward visits them reversed."""
        return range(active - 1, -1, -1) if self.reverse else range(active)

    def reals(self, active):
        """Per step, the (B, 1) boolean array of the sequences real at it, or None when all are."""
        return [None] * active if self.masks is None else self.masks.real[:active]

    def output(self, hs, steps, active):
        """The layer's output (T, B, H): a slice of hs, or, with lengths, hs masked to zeros on padding."""
        r = self.reverse
        states = hs[1 - r:active + 1 - r]
        if self.masks is None:
            return states
        out = xp_of(hs).zeros((steps,) + hs.shape[1:], dtype=hs.dtype)
        xp_of(hs).multiply(states, self.masks.output[:active], out=out[:active])
        return out

    @staticmethod
    def keep_padded(real, grads):
        """At a partly padded step: the padded sequences' share of each state gradient, which
        goes on to the previous step unchanged (their state was not changed here)."""
        return [xp_of(g).where(real, 0, g) for g in grads]

    # ---- the weights -------------------------------------------------------------------------------------
    @staticmethod
    def per_gate(weight, gates, order=None):
        """weight (G*H, in) -> its G gates' rows as (G, H, in), in `order` (a copy) or PyTorch's (a view)."""
        stacked = weight.reshape(gates, weight.shape[0] // gates, weight.shape[1])
        return stacked if order is None else stacked[list(order)]

    def input_gradient(self, dx, batch):
        """dx of the steps that ran (N, I) -> (T, B, I), zeros for the steps past the longest sequence."""
        if dx is None:
            return None
        if dx.shape[0] < self.steps * batch:
            full = xp_of(dx).zeros((self.steps * batch, dx.shape[1]), dtype=dx.dtype)
            full[:dx.shape[0]] = dx
            dx = full
        return dx.reshape(self.steps, batch, -1)

    # ---- checks -------------------------------------------------------------------------------------------
    def check_shapes(self, x, h0, weight_ih, weight_hh):
        hidden = weight_hh.shape[-1]
        gates = self.gates
        if (x.ndim != 3 or h0.shape != (x.shape[1], hidden) or weight_hh.shape != (gates * hidden, hidden)
                or weight_ih.shape != (gates * hidden, x.shape[2])):
            raise OpError(f"{self.name}: expected x (T, B, I), h_0 (B, H), weight_ih ({gates}H, I) and weight_hh "
                          f"({gates}H, H), got x {x.shape}, h_0 {h0.shape}, weight_ih {weight_ih.shape}, "
                          f"weight_hh {weight_hh.shape}")

    def check_step(self, direction, what, t, *arrays):
        """Under detect_anomaly: raise naming step t when an array of it holds NaN or inf."""
        for name, a in zip(what, arrays):
            xp = xp_of(a)
            if bool(xp.isfinite(a).all()):
                continue
            bad = "NaN" if bool(xp.isnan(a).any()) else "inf"
            scope = (current_scope() if direction == "forward" else self.scope) + (f"t={t}",)
            made = ""
            if direction == "backward" and self.trace:
                user = [f for f in self.trace if "tinygrad_rnn" not in f.filename] or list(self.trace)
                made = f"; the op was created at {user[-1].filename}:{user[-1].lineno} ({user[-1].line})"
            raise FloatingPointError(f"detect_anomaly: {self.name} produced {bad} in its {direction} {name} at "
                                     f"step t={t} (shape {tuple(a.shape)}) in scope {'/'.join(scope)}{made}")

    # ---- what backward reports ----------------------------------------------------------------------------
    def recording(self):
        """True in a backward under record_grad_norms(): the per-step norms are wanted too."""
        return is_recording_grad_norms()

    def start_recording(self, steps):
        self.step_grad_norms = [0.0] * steps
        self.step_state_grad_norms = [0.0] * steps

    def record(self, t, dh, dc=None):
        """||dL/dh_t|| (and with dL/dc_t, for an LSTM) of the step's new state."""
        h = float(xp_of(dh).vdot(dh, dh))
        c = 0.0 if dc is None else float(xp_of(dc).vdot(dc, dc))
        self.step_grad_norms[t] = h ** 0.5
        self.step_state_grad_norms[t] = (h + c) ** 0.5

    def release(self):
        """After the last backward: the engine's release, and the masks, the one thing kept outside `saved`."""
        super().release()
        self.masks = None

    @property
    def label(self):
        """The drawing's name for the node: the layer, the method and the length."""
        layer = self.scope[-1] if self.scope else f"{self.family} layer"
        return f'{layer}, BPTT by hand, T = {self.steps}\nimpl="composite" draws its steps'

"""Local attention (Luong et al., 2015, "local-p"): attend to a window around a predicted position.

    p_t     = (S_b - 1) * sigmoid(v_p^T tanh(W_p q_t))          (batch, tq)   W_p: (H, Dq), v_p: (H,)
    window  = { s : |s - p_t| <= D }                             2D + 1 positions wide (fewer at the edges)
    a_{t,s} = softmax_{s in window}(score(q_t, k_s))             0 outside the window and on padding
    weights = a_{t,s} * exp(-(s - p_t)^2 / (2 sigma^2)),  sigma = D / 2
    context = weights @ values

S_b is the length of row b (its unmasked keys; padding is assumed at the end),
and positions count from 0, so p_t ranges over [0, S_b - 1], the real keys.
Luong writes p_t = S sigmoid(.) with positions counted from 1; this is the same
range. The Gaussian makes the weights depend smoothly on p_t, which is how
W_p and v_p learn; the window edge itself carries no gradient. The weights of
a row therefore sum to at most 1, as in the paper.

With `local = False` the same module computes global attention with the same
score (every key, no Gaussian): the switch the paper compares.
"""

from ... import backend
from ...errors import OpError
from ...tensor import Tensor
from ..linear import Linear
from .additive import AdditiveAttention
from .base import Attention
from .dot_product import DotProductAttention
from .masks import masked_softmax

SCORES = ("dot", "general", "additive")


class LocalAttention(Attention):
    """LocalAttention(query_size, key_size, window, score="general", hidden_size=None, scaled=False, local=True).

    window: the half-width D (an int >= 1). score: "dot", "general" (Luong's
    scores, see DotProductAttention) or "additive" (Bahdanau's, see
    AdditiveAttention), held as the submodule `scorer`. hidden_size: H of the
    position predictor (defaults to query_size). After a forward in local mode,
    `last_positions` (batch, tq) holds the predicted centres p_t.
    """

    def __init__(self, query_size, key_size, window, score="general", hidden_size=None, scaled=False, local=True):
        super().__init__()
        if not isinstance(window, int) or window < 1:
            raise OpError(f"LocalAttention: window (the half-width D) must be an int >= 1, got {window!r}")
        if score not in SCORES:
            raise OpError(f"LocalAttention: score must be one of {SCORES}, got {score!r}")
        hidden_size = query_size if hidden_size is None else hidden_size
        if score == "additive":
            self.scorer = AdditiveAttention(query_size, key_size, hidden_size)
        else:
            self.scorer = DotProductAttention(query_size, key_size, form=score, scaled=scaled)
        self.position_proj = Linear(query_size, hidden_size, bias=False)
        self.position_energy = Linear(hidden_size, 1, bias=False)
        self.window, self.local = window, local
        self.last_positions = None

    def score(self, query, keys):
        return self.scorer.score(query, keys)

    def predict_positions(self, query, lengths):
        """query (batch, tq, Dq), lengths (batch, 1, 1) array -> p (batch, tq, 1) in [0, lengths - 1]."""
        gate = self.position_energy(self.position_proj(query).tanh()).sigmoid()
        return gate * Tensor._make(lengths - 1)

    def attend(self, query, keys, masked):
        name = type(self).__name__
        scores = self.score(query, keys)
        if not self.local:
            self.last_positions = None
            return masked_softmax(scores, masked, name)
        xp = backend.xp_of(scores.array)
        batch, length = keys.shape[:2]
        if masked is None:
            lengths = xp.full((batch, 1, 1), length, dtype=scores.dtype)
        else:
            lengths = (~masked).sum(axis=-1, keepdims=True).astype(scores.dtype)
        positions = self.predict_positions(query, lengths)                       # (batch, tq, 1)
        offsets = Tensor._make(xp.arange(length, dtype=scores.dtype)) - positions  # (batch, tq, S): s - p_t
        outside = xp.abs(offsets.array) > self.window
        masked = outside if masked is None else outside | masked
        sigma = self.window / 2
        gaussian = (offsets * offsets * (-1 / (2 * sigma * sigma))).exp()
        self.last_positions = positions.detach().squeeze(-1)
        return masked_softmax(scores, masked, name) * gaussian

    def extra_repr(self):
        return f"window={self.window}, local={self.local}"

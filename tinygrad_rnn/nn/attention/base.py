"""Attention: the part every scoring rule shares.

    scores  = score(query, keys)                     (batch, tq, S)
    weights = softmax(scores with padding -> -inf)   (batch, tq, S), each row sums to 1
    context = weights @ values                       (batch, tq, Dv)

A subclass defines `score(q, keys)`; the local variant also reshapes the
weights (`attend`). Shapes are batch-first: query (batch, Dq) for one decoder
step, or (batch, tq, Dq) for many; keys (batch, S, Dk); values (batch, S, Dv),
the keys themselves when omitted.
"""

from ...errors import OpError
from ..module import Module
from .masks import as_padding_mask, masked_softmax


def project(layer, x):
    """layer(x) for a Linear on x (..., in), with the leading axes folded into one: a single
    (N, in) @ (in, out) product, whose weight gradient is one matrix product too rather than
    a batch of small ones summed afterwards."""
    lead = x.shape[:-1]
    return layer(x.reshape(-1, x.shape[-1])).reshape(*lead, layer.out_features)


class Attention(Module):
    """Base of the attention modules; `last_weights` keeps the weights of the last forward (detached)."""

    def __init__(self):
        super().__init__()
        self.last_weights = None

    def score(self, query, keys):
        """query (batch, tq, Dq), keys (batch, S, Dk) -> scores (batch, tq, S)."""
        raise NotImplementedError(f"{type(self).__name__} must implement score")

    def attend(self, query, keys, masked):
        """Weights (batch, tq, S) from the scores; `masked` (batch, 1, S) bool or None."""
        return masked_softmax(self.score(query, keys), masked, type(self).__name__)

    def forward(self, query, keys, values=None, key_padding_mask=None):
        """-> (context, weights): (batch, Dv), (batch, S) for a 2-D query;
        (batch, tq, Dv), (batch, tq, S) for a 3-D one."""
        name = type(self).__name__
        values = keys if values is None else values
        if query.ndim not in (2, 3) or keys.ndim != 3 or values.ndim != 3:
            raise OpError(f"{name}: expected query (batch, Dq) or (batch, tq, Dq), keys (batch, S, Dk), values "
                          f"(batch, S, Dv); got query {tuple(query.shape)}, keys {tuple(keys.shape)}, values "
                          f"{tuple(values.shape)}")
        batch, length = keys.shape[:2]
        if query.shape[0] != batch or tuple(values.shape[:2]) != (batch, length):
            raise OpError(f"{name}: batch and length disagree: query {tuple(query.shape)}, keys "
                          f"{tuple(keys.shape)}, values {tuple(values.shape)}")
        if length == 0:
            raise OpError(f"{name}: keys have no positions (shape {tuple(keys.shape)}); each query needs at least "
                          "one key to attend to")
        single = query.ndim == 2
        q = query.unsqueeze(1) if single else query
        masked = as_padding_mask(key_padding_mask, batch, length, keys.device, name)
        weights = self.attend(q, keys, None if masked is None else masked[:, None, :])
        context = weights @ values
        if single:
            weights, context = weights.squeeze(1), context.squeeze(1)
        self.last_weights = weights.detach()
        return context, weights

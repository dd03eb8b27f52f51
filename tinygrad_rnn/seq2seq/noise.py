"""Input corruption for denoising sequence autoencoders (Lample et al., 2018; Hill et al., 2016).

    word dropout   each token is deleted with probability drop_prob (at least one is kept)
    masking        each token is replaced by mask_token with probability mask_prob
    local shuffle  token i moves to the rank of i + U(0, shuffle_window + 1): no token
                   moves more than shuffle_window places

All on host int arrays; the output keeps the input's width, re-padded with `pad`.
"""

from .. import backend
from ..errors import OpError


def corrupt(tokens, lengths, drop_prob=0.0, mask_prob=0.0, mask_token=None, shuffle_window=0, pad=0, rng=None):
    """tokens (batch, S) ints, lengths (batch,) -> (corrupted tokens (batch, S), new lengths (batch,))."""
    np = backend.np
    tokens, lengths = np.asarray(tokens), np.asarray(lengths, dtype=np.int64)
    if not 0.0 <= drop_prob < 1.0 or not 0.0 <= mask_prob <= 1.0 or shuffle_window < 0:
        raise OpError(f"corrupt: need 0 <= drop_prob < 1, 0 <= mask_prob <= 1, shuffle_window >= 0; got "
                      f"{drop_prob}, {mask_prob}, {shuffle_window}")
    if mask_prob > 0 and mask_token is None:
        raise OpError("corrupt: mask_prob > 0 needs a mask_token to put in place of the masked tokens")
    rng = backend.rng() if rng is None else rng
    out = np.full_like(tokens, pad)
    new_lengths = np.empty_like(lengths)
    for b, (row, n) in enumerate(zip(tokens, lengths)):
        row = row[:n].copy()
        if drop_prob > 0 and n > 1:
            keep = rng.random(n) >= drop_prob
            if not keep.any():
                keep[rng.integers(n)] = True
            row = row[keep]
        if mask_prob > 0:
            row[rng.random(len(row)) < mask_prob] = mask_token
        if shuffle_window > 0:
            row = row[np.argsort(np.arange(len(row)) + rng.uniform(0, shuffle_window + 1, len(row)), kind="stable")]
        out[b, :len(row)] = row
        new_lengths[b] = len(row)
    return out, new_lengths

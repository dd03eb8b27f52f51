"""Solutions to tutorial 8's exercises (copy one into the tutorial's exercise cell and run its check)."""

import numpy as np


def exercise_swish_backward(x, g):
    s = 1 / (1 + np.exp(-x))
    return g * (s + x * s * (1 - s))          # d(x s)/dx = s + x s'(x), s' = s (1 - s)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def exercise_gru_cell_backward(x, h, weight_ih, weight_hh, bias_ih, bias_hh, g):
    # forward again, keeping the pieces: gi = x W_ih^T + b_ih, gh = h W_hh^T + b_hh, each (B, 3H) as [r | z | n]
    gi_r, gi_z, gi_n = np.split(x @ weight_ih.T + bias_ih, 3, axis=1)
    gh_r, gh_z, gh_n = np.split(h @ weight_hh.T + bias_hh, 3, axis=1)
    r = _sigmoid(gi_r + gh_r)
    z = _sigmoid(gi_z + gh_z)
    n = np.tanh(gi_n + r * gh_n)
    # h' = (1 - z) n + z h, backwards
    dn = g * (1 - z)
    dz = g * (h - n)
    dh = g * z
    da_n = dn * (1 - n * n)                   # through tanh
    dr = da_n * gh_n
    da_r = dr * r * (1 - r)                   # through the sigmoids
    da_z = dz * z * (1 - z)
    d_gi = np.concatenate([da_r, da_z, da_n], axis=1)
    d_gh = np.concatenate([da_r, da_z, da_n * r], axis=1)   # r multiplies h W_hn^T + b_hn
    dx = d_gi @ weight_ih
    dh = dh + d_gh @ weight_hh
    return dx, dh, d_gi.T @ x, d_gh.T @ h, d_gi.sum(axis=0), d_gh.sum(axis=0)

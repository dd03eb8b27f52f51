"""Solutions to tutorial 9's exercises (copy one into the tutorial's exercise cell and run its check)."""

import numpy as np


def exercise_layer_norm(a, weight, bias, eps):
    centred = a - a.mean(axis=-1, keepdims=True)
    var = (centred * centred).mean(axis=-1, keepdims=True)     # biased: divided by D, not D - 1
    return centred / np.sqrt(var + eps) * weight + bias


def exercise_variational_dropout(x, p, rng):
    steps, batch, features = x.shape
    mask = (rng.random((batch, features)) >= p) / (1 - p)       # one mask per sequence ...
    return x * mask[None, :, :]                                 # ... broadcast over all T steps


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def exercise_layer_norm_lstm_step(x, h, c, params, eps):
    p = params
    from_x = exercise_layer_norm(x @ p["weight_ih"].T, p["ln_ih_weight"], p["ln_ih_bias"], eps)
    from_h = exercise_layer_norm(h @ p["weight_hh"].T, p["ln_hh_weight"], p["ln_hh_bias"], eps)
    gates = from_x + from_h + p["bias"]                         # each product normalised on its own
    a_i, a_f, a_g, a_o = np.split(gates, 4, axis=1)
    i, f, g, o = _sigmoid(a_i), _sigmoid(a_f), np.tanh(a_g), _sigmoid(a_o)
    c_t = f * c + i * g                                         # carried unnormalised
    h_t = o * np.tanh(exercise_layer_norm(c_t, p["ln_c_weight"], p["ln_c_bias"], eps))
    return h_t, c_t

"""Worked solutions to the exercises of tutorial 2 (a vanilla RNN and BPTT)."""

import numpy as np

import tinygrad_rnn as tr


def exercise_step_jacobian(h_t, W_hh):
    # h_t = tanh(a_t), a_t = ... + W_hh h_{t-1}: dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh
    return (1 - h_t ** 2)[:, None] * W_hh


def exercise_relu_bptt(xs, W_ih, W_hh, b):
    T, B, _ = xs.shape
    hs, pre = [np.zeros((B, W_hh.shape[0]))], []
    for t in range(T):
        pre.append(xs[t] @ W_ih.T + b + hs[-1] @ W_hh.T)
        hs.append(np.maximum(pre[-1], 0))
    dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b)
    dh = np.ones((B, W_hh.shape[0]))            # L = sum(h_T)
    for t in reversed(range(T)):
        da = dh * (pre[t] > 0)                  # relu'(a_t)
        dW_hh += da.T @ hs[t]
        dW_ih += da.T @ xs[t]
        db += da.sum(axis=0)
        dh = da @ W_hh                          # to h_{t-1}; no loss term at earlier steps
    return dW_ih, dW_hh, db


def exercise_set_forget_bias(lstm, value):
    H = lstm.hidden_size
    with tr.no_grad():                          # gate order i, f, g, o: f is rows H:2H
        lstm.bias_ih_l0[H:2 * H] = value
        lstm.bias_hh_l0[H:2 * H] = 0.0

"""The NumPy floor: one training step of an LSTM, GRU or tanh RNN written by
hand in NumPy, with manual backpropagation through time and no autograd.

It is what a NumPy engine could reach at best: one GEMM for all the input
projections, one recurrent GEMM per step forward and one backward, the
weight gradients as single GEMMs over all steps, pointwise work in place on
preallocated buffers, and nothing kept for backward beyond the activations.

The LSTM and GRU come in two layouts of the gate activations, and the floor
takes the faster one for the batch size (layout=None):

    "row"   (T, B, G*H), each gate a column slice of its step's rows: the plain
            way, and the faster one at batch 1, where a slice of one row is
            contiguous anyway and there are fewer arrays to index
    "gate"  (G, T, B, H), each gate of each step one contiguous (B, H) block: NumPy's
            pointwise loops run two to four times faster on contiguous blocks than on
            column slices, which wins from batch 2 on (the library's fast path uses it)
tools/bench.py times the library against it; tests/test_numpy_floor.py holds
its gradients to PyTorch's and to central differences, so it is a reference
one can trust.

The step (PyTorch's equations and gate order; x: (T, B, I), h_0 = c_0 = 0):

    LSTM  [i, f, g, o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh      (B, 4H)
          i, f, o = sigmoid(.), g = tanh(.)
          c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)
    GRU   [r, z] = sigmoid(x_t W_i{r,z}^T + b_i{r,z} + h_{t-1} W_h{r,z}^T + b_h{r,z})
          n = tanh(x_t W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn))
          h_t = (1 - z) * n + z * h_{t-1}
    RNN   h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)

    head  y_t = h_t W_out^T + b_out                                     (B, O)
    loss  = sum_t mean(y_t ** 2)
    SGD   p <- p - lr * dloss/dp

Parameters are a dict of arrays named as PyTorch names them: weight_ih
(G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H,), head_weight (O, H),
head_bias (O,), with G = 4 (LSTM), 3 (GRU), 1 (RNN).

    params = init_params("lstm", input_size=64, hidden_size=128, output_size=64)
    loss, grads = loss_and_grads("lstm", params, x)     # x: (T, B, I)
    loss = train_step("lstm", params, x, lr=0.01)       # updates params in place
"""

import numpy as np

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "head_weight", "head_bias")


def init_params(kind, input_size, hidden_size, output_size, dtype=np.float32, seed=0):
    """PyTorch's initialisation: U(-1/sqrt(H), 1/sqrt(H)) for the cell, U(-1/sqrt(H), ..) for the head."""
    rng = np.random.default_rng(seed)
    gh = GATES[kind] * hidden_size
    bound = 1 / np.sqrt(hidden_size)
    shapes = {"weight_ih": (gh, input_size), "weight_hh": (gh, hidden_size), "bias_ih": (gh,), "bias_hh": (gh,),
              "head_weight": (output_size, hidden_size), "head_bias": (output_size,)}
    return {name: rng.uniform(-bound, bound, shape).astype(dtype) for name, shape in shapes.items()}


def _sigmoid_(a):
    """a <- sigmoid(a) in place, as 0.5 * (1 + tanh(a / 2)): no overflow, no temporaries."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _transposed(w):
    """W^T as a contiguous copy: the per-step (B, H) x (H, G*H) GEMM runs faster on it than on a view."""
    return np.ascontiguousarray(w.T)


def _input_projection(x, weight_ih, bias):
    """x_t W_ih^T + bias for every step at once: one (T*B, I) x (I, G*H) GEMM -> (T, B, G*H)."""
    steps, batch, size = x.shape
    return (x.reshape(steps * batch, size) @ weight_ih.T + bias).reshape(steps, batch, -1)


def _head(p, hs):
    """y = h W_out^T + b_out over all steps, the loss, and dloss/dh (T, B, H); head grads into a dict."""
    steps, batch, hidden = hs.shape
    flat = hs.reshape(steps * batch, hidden)
    y = flat @ p["head_weight"].T
    y += p["head_bias"]
    loss = float(np.vdot(y, y)) / (batch * y.shape[1])
    y *= 2 / (batch * y.shape[1])  # y becomes dloss/dy in place
    grads = {"head_weight": y.T @ flat, "head_bias": y.sum(axis=0)}
    return loss, (y @ p["head_weight"]).reshape(steps, batch, hidden), grads


def _weight_grads(x, h_prev, d_input_side, d_hidden_side, grads):
    """The cell's weight gradients, each one GEMM over all T*B rows.

    d_input_side: d(loss)/d(x_t W_ih^T + b_ih), (T, B, G*H); d_hidden_side:
    the pieces of d(loss)/d(h_{t-1} W_hh^T + b_hh) along the gate axis (one
    piece, the same array, for LSTM and RNN; GRU's n gate differs).
    """
    steps, batch, _ = x.shape
    rows = steps * batch
    dg = d_input_side.reshape(rows, -1)
    hp = h_prev.reshape(rows, -1)
    grads["weight_ih"] = dg.T @ x.reshape(rows, -1)
    grads["bias_ih"] = dg.sum(axis=0)
    pieces = [d.reshape(rows, -1) for d in d_hidden_side]
    grads["weight_hh"] = np.concatenate([d.T @ hp for d in pieces]) if len(pieces) > 1 else pieces[0].T @ hp
    grads["bias_hh"] = np.concatenate([d.sum(axis=0) for d in pieces]) if len(pieces) > 1 else grads["bias_ih"].copy()


def _cut(a, gates):
    """The G column slices (B, H) of a row-layout step's gates (B, G*H)."""
    hidden = a.shape[1] // gates
    return [a[:, k * hidden:(k + 1) * hidden] for k in range(gates)]


def _lstm_cell(a_if, gates, c_prev, c, tanh_c, h, tmp):
    """The LSTM cell in place: gates = (i, f, g, o) pre-activations (a_if: i and f as one block) become
    the activations; c, tanh(c) and h are written into their buffers. tmp: a free (B, H) array."""
    i, f, g, o = gates
    _sigmoid_(a_if)
    np.tanh(g, out=g)
    _sigmoid_(o)
    np.multiply(f, c_prev, out=c)
    np.multiply(i, g, out=tmp)
    c += tmp
    np.tanh(c, out=tanh_c)
    np.multiply(o, tanh_c, out=h)


def _lstm_cell_backward(gates, tc, c_prev, dh, dc, s):
    """gates = (i, f, g, o) become d(pre-activations) in place; dc becomes dc_{t-1}; tc (tanh(c_t)) and s
    are overwritten."""
    i, f, g, o = gates
    # dc_t = dc + dh * o * (1 - tanh(c_t)^2)
    np.multiply(tc, tc, out=s)
    np.subtract(1, s, out=s)
    s *= o
    s *= dh
    dc += s
    # do = dh * tanh(c_t) * o * (1 - o)
    np.subtract(1, o, out=s)
    s *= tc
    s *= dh
    o *= s
    # di = dc_t * g * i * (1 - i);  dg = dc_t * i * (1 - g^2)   (tc is free now)
    np.subtract(1, i, out=s)
    s *= g
    s *= dc
    np.multiply(g, g, out=tc)
    np.subtract(1, tc, out=tc)
    tc *= dc
    np.multiply(tc, i, out=g)
    i *= s
    # df = dc_t * c_{t-1} * f * (1 - f);  dc_{t-1} = dc_t * f
    np.subtract(1, f, out=s)
    s *= c_prev
    s *= dc
    dc *= f
    f *= s


def _gru_cell(a_rz, gates, hn, h_prev, h, tmp):
    """The GRU cell in place: gates = (r, z, n) pre-activations, r and z with h_r, h_z added already (a_rz: the
    two as one block), n holding x_n; hn = h_{t-1} W_hn^T + b_hn; h_t is written into h. tmp: a free (B, H) array."""
    r, z, n = gates
    _sigmoid_(a_rz)
    np.multiply(r, hn, out=tmp)
    n += tmp
    np.tanh(n, out=n)
    # h_t = n + z * (h_{t-1} - n)
    np.subtract(h_prev, n, out=h)
    h *= z
    h += n


def _gru_cell_backward(gates, hn, h_prev, dh, s1, s2, s3):
    """gates = (r, z, n) become d(pre-activations) on the input side and hn d(h W_hn^T + b_hn), in place;
    dh becomes its direct share of dh_{t-1} (dh * z); s1, s2, s3 are scratch."""
    r, z, n = gates
    np.subtract(1, z, out=s3)
    # dn = dh * (1 - z) * (1 - n^2)
    np.multiply(n, n, out=s1)
    np.subtract(1, s1, out=s1)
    s1 *= s3
    s1 *= dh
    # dz = dh * (h_{t-1} - n) * z * (1 - z)
    np.subtract(h_prev, n, out=s2)
    s2 *= s3
    s2 *= z
    s2 *= dh
    dh *= z   # the direct path h_{t-1} -> h_t
    # dr = dn * hn * r * (1 - r);  d(hn) = dn * r
    np.subtract(1, r, out=s3)
    s3 *= r
    s3 *= hn
    s3 *= s1
    np.multiply(s1, r, out=hn)
    r[...] = s3
    z[...] = s2
    n[...] = s1


def lstm_loss_and_grads(p, x):
    steps, batch, _ = x.shape
    hidden = p["weight_hh"].shape[1]
    w_hh_t, w_hh = _transposed(p["weight_hh"]), p["weight_hh"]
    # acts[t] holds i, f, g, o after their nonlinearities; it starts as the input projection
    acts = _input_projection(x, p["weight_ih"], p["bias_ih"] + p["bias_hh"])
    hs = np.zeros((steps + 1, batch, hidden), x.dtype)      # hs[t + 1] = h_t, hs[0] = h_0
    cs = np.zeros((steps + 1, batch, hidden), x.dtype)
    tanh_cs = np.empty((steps, batch, hidden), x.dtype)
    rec = np.empty((batch, 4 * hidden), x.dtype)
    for t in range(steps):
        a = acts[t]
        np.matmul(hs[t], w_hh_t, out=rec)
        a += rec
        _lstm_cell(a[:, :2 * hidden], _cut(a, 4), cs[t], cs[t + 1], tanh_cs[t], hs[t + 1], rec[:, :hidden])

    loss, d_hs, grads = _head(p, hs[1:])

    # backward; acts[t] is overwritten by d(loss)/d(pre-activation gates at t)
    dh = np.zeros((batch, hidden), x.dtype)
    dc = np.zeros((batch, hidden), x.dtype)
    s = np.empty((batch, hidden), x.dtype)
    for t in reversed(range(steps)):
        a = acts[t]
        dh += d_hs[t]
        _lstm_cell_backward(_cut(a, 4), tanh_cs[t], cs[t], dh, dc, s)
        np.matmul(a, w_hh, out=dh)
    _weight_grads(x, hs[:-1], acts, [acts], grads)
    return loss, grads


def gru_loss_and_grads(p, x):
    steps, batch, _ = x.shape
    hidden = p["weight_hh"].shape[1]
    w_hh_t, w_hh, b_hh = _transposed(p["weight_hh"]), p["weight_hh"], p["bias_hh"]
    acts = _input_projection(x, p["weight_ih"], p["bias_ih"])   # becomes r, z, n
    hs = np.zeros((steps + 1, batch, hidden), x.dtype)
    hns = np.empty((steps, batch, hidden), x.dtype)              # h_{t-1} W_hn^T + b_hn
    rec = np.empty((batch, 3 * hidden), x.dtype)
    for t in range(steps):
        a = acts[t]
        np.matmul(hs[t], w_hh_t, out=rec)
        rec += b_hh
        a[:, :2 * hidden] += rec[:, :2 * hidden]
        hns[t] = rec[:, 2 * hidden:]
        _gru_cell(a[:, :2 * hidden], _cut(a, 3), hns[t], hs[t], hs[t + 1], rec[:, :hidden])

    loss, d_hs, grads = _head(p, hs[1:])

    # backward; acts[t] becomes d(pre-activation)[t] on the input side, hns[t] d(h W_hn^T + b_hn)
    dh = np.zeros((batch, hidden), x.dtype)
    s1, s2, s3 = (np.empty((batch, hidden), x.dtype) for _ in range(3))
    d_rec = np.empty((batch, 3 * hidden), x.dtype)
    for t in reversed(range(steps)):
        a = acts[t]
        dh += d_hs[t]
        _gru_cell_backward(_cut(a, 3), hns[t], hs[t], dh, s1, s2, s3)
        d_rec[:, :2 * hidden] = a[:, :2 * hidden]
        d_rec[:, 2 * hidden:] = hns[t]
        np.matmul(d_rec, w_hh, out=s1)
        dh += s1
    _weight_grads(x, hs[:-1], acts, [acts[:, :, :2 * hidden], hns], grads)
    return loss, grads


def rnn_loss_and_grads(p, x):
    steps, batch, _ = x.shape
    hidden = p["weight_hh"].shape[1]
    w_hh_t, w_hh = _transposed(p["weight_hh"]), p["weight_hh"]
    hs = np.zeros((steps + 1, batch, hidden), x.dtype)
    hs[1:] = _input_projection(x, p["weight_ih"], p["bias_ih"] + p["bias_hh"])
    rec = np.empty((batch, hidden), x.dtype)
    for t in range(steps):
        np.matmul(hs[t], w_hh_t, out=rec)
        h = hs[t + 1]
        h += rec
        np.tanh(h, out=h)

    loss, d_hs, grads = _head(p, hs[1:])

    # backward; d_hs[t] becomes d(pre-activation)[t] = dh_t * (1 - h_t^2)
    dh = np.zeros((batch, hidden), x.dtype)
    s = np.empty((batch, hidden), x.dtype)
    for t in reversed(range(steps)):
        dh += d_hs[t]
        np.multiply(hs[t + 1], hs[t + 1], out=s)
        np.subtract(1, s, out=s)
        np.multiply(dh, s, out=d_hs[t])
        np.matmul(d_hs[t], w_hh, out=dh)
    _weight_grads(x, hs[:-1], d_hs, [d_hs], grads)
    return loss, grads


# ---- gate-major: each gate of each step one contiguous (B, H) block ------------------------------------------------

def _gate_major_projection(x, weight_ih, bias, gates):
    """x_t W_k^T + bias_k for every step and gate k: one GEMM per gate -> (G, T, B, H)."""
    steps, batch, size = x.shape
    hidden = weight_ih.shape[0] // gates
    w = weight_ih.reshape(gates, hidden, size).transpose(0, 2, 1)           # (G, I, H)
    out = np.matmul(x.reshape(steps * batch, size), w)
    out += bias.reshape(gates, 1, hidden)
    return out.reshape(gates, steps, batch, hidden)


def _gate_major_weight_grads(x, h_prev, d_input_side, d_hidden_side, grads):
    """_weight_grads for gate-major gradients: d_input_side (G, T, B, H); d_hidden_side a list
    of (g, T, B, H) pieces along the gate axis (one for LSTM, [r z, n] for GRU)."""
    steps, batch, _ = x.shape
    rows = steps * batch
    hp = h_prev.reshape(rows, -1)

    def per_gate(d, inputs):  # [dW_k] = [d_k^T inputs] stacked along the rows, one GEMM per gate
        d = d.reshape(d.shape[0], rows, -1)
        return np.matmul(d.transpose(0, 2, 1), inputs).reshape(-1, inputs.shape[1]), d.sum(axis=1).reshape(-1)

    grads["weight_ih"], grads["bias_ih"] = per_gate(d_input_side, x.reshape(rows, -1))
    pieces = [per_gate(d, hp) for d in d_hidden_side]
    grads["weight_hh"] = np.concatenate([w for w, _ in pieces])
    grads["bias_hh"] = np.concatenate([b for _, b in pieces])


def lstm_gate_major_loss_and_grads(p, x):
    steps, batch, _ = x.shape
    hidden = p["weight_hh"].shape[1]
    w_hh = p["weight_hh"]
    w_hh_t = np.ascontiguousarray(w_hh.reshape(4, hidden, hidden).transpose(0, 2, 1))   # W_k^T, (4, H, H)
    acts = _gate_major_projection(x, p["weight_ih"], p["bias_ih"] + p["bias_hh"], 4)   # becomes i, f, g, o
    hs = np.zeros((steps + 1, batch, hidden), x.dtype)
    cs = np.zeros((steps + 1, batch, hidden), x.dtype)
    tanh_cs = np.empty((steps, batch, hidden), x.dtype)
    rec = np.empty((4, batch, hidden), x.dtype)
    for t in range(steps):
        a = acts[:, t]
        np.matmul(hs[t], w_hh_t, out=rec)   # one GEMM per gate
        a += rec
        _lstm_cell(a[0:2], a, cs[t], cs[t + 1], tanh_cs[t], hs[t + 1], rec[0])

    loss, d_hs, grads = _head(p, hs[1:])

    # backward; acts[:, t] is overwritten by d(loss)/d(pre-activation gates at t), as in the row layout
    dh = np.zeros((batch, hidden), x.dtype)
    dc = np.zeros((batch, hidden), x.dtype)
    s = np.empty((batch, hidden), x.dtype)
    d_rec = np.empty((batch, 4 * hidden), x.dtype)
    for t in reversed(range(steps)):
        a = acts[:, t]
        dh += d_hs[t]
        _lstm_cell_backward(a, tanh_cs[t], cs[t], dh, dc, s)
        np.concatenate(a, axis=1, out=d_rec)   # the gates side by side: one GEMM for dh_{t-1}
        np.matmul(d_rec, w_hh, out=dh)
    _gate_major_weight_grads(x, hs[:-1], acts, [acts], grads)
    return loss, grads


def gru_gate_major_loss_and_grads(p, x):
    steps, batch, _ = x.shape
    hidden = p["weight_hh"].shape[1]
    w_hh, b_hh = p["weight_hh"], p["bias_hh"].reshape(3, 1, hidden)
    w_hh_t = np.ascontiguousarray(w_hh.reshape(3, hidden, hidden).transpose(0, 2, 1))   # W_k^T, (3, H, H)
    acts = _gate_major_projection(x, p["weight_ih"], p["bias_ih"], 3)                   # becomes r, z, n
    hs = np.zeros((steps + 1, batch, hidden), x.dtype)
    hns = np.empty((steps, batch, hidden), x.dtype)              # h_{t-1} W_hn^T + b_hn
    rec = np.empty((3, batch, hidden), x.dtype)
    for t in range(steps):
        a = acts[:, t]
        np.matmul(hs[t], w_hh_t, out=rec)   # one GEMM per gate
        rec += b_hh
        a[0:2] += rec[0:2]
        hns[t] = rec[2]
        _gru_cell(a[0:2], a, hns[t], hs[t], hs[t + 1], rec[0])

    loss, d_hs, grads = _head(p, hs[1:])

    # backward; acts[:, t] becomes d(pre-activation)[t] on the input side, hns[t] d(h W_hn^T + b_hn)
    dh = np.zeros((batch, hidden), x.dtype)
    s1, s2, s3 = (np.empty((batch, hidden), x.dtype) for _ in range(3))
    d_rec = np.empty((batch, 3 * hidden), x.dtype)
    for t in reversed(range(steps)):
        a = acts[:, t]
        dh += d_hs[t]
        _gru_cell_backward(a, hns[t], hs[t], dh, s1, s2, s3)
        np.concatenate((a[0], a[1], hns[t]), axis=1, out=d_rec)
        np.matmul(d_rec, w_hh, out=s1)
        dh += s1
    _gate_major_weight_grads(x, hs[:-1], acts, [acts[0:2], hns[None]], grads)
    return loss, grads


LOSS_AND_GRADS = {("lstm", "row"): lstm_loss_and_grads, ("gru", "row"): gru_loss_and_grads,
                  ("rnn", "row"): rnn_loss_and_grads, ("lstm", "gate"): lstm_gate_major_loss_and_grads,
                  ("gru", "gate"): gru_gate_major_loss_and_grads,
                  ("rnn", "gate"): rnn_loss_and_grads}  # one gate: both layouts are the same


def faster_layout(batch):
    """The layout the floor takes for a batch size: measured, "row" only pays at batch 1."""
    return "row" if batch == 1 else "gate"


def loss_and_grads(kind, params, x, layout=None):
    """(loss, {name: dloss/dparam}) for x: (T, B, I); params are not changed. layout: "row", "gate"
    or None, the faster one for x's batch size."""
    return LOSS_AND_GRADS[kind, layout or faster_layout(x.shape[1])](params, x)


def train_step(kind, params, x, lr=0.01, layout=None):
    """One forward, BPTT and SGD update of `params` in place; returns the loss."""
    loss, grads = loss_and_grads(kind, params, x, layout)
    for name, g in grads.items():
        params[name] -= lr * g
    return loss


def gemm_step(kind, params, x, scratch=None):
    """Only the GEMMs of one training step, on preallocated buffers: the floor's floor.

    The same products as the step (the input projection, one recurrent GEMM
    per step each way, the head's three, the weight gradients), on values that
    mean nothing. Returns the scratch buffers so that repeated calls reuse them.
    """
    steps, batch, size = x.shape
    hidden = params["weight_hh"].shape[1]
    gh = GATES[kind] * hidden
    out_size = params["head_weight"].shape[0]
    rows = steps * batch
    if scratch is None:
        scratch = {"gates": np.zeros((rows, gh), x.dtype), "hs": np.zeros((rows, hidden), x.dtype),
                   "y": np.empty((rows, out_size), x.dtype), "rec": np.empty((batch, gh), x.dtype),
                   "dh": np.empty((batch, hidden), x.dtype)}
    gates, hs, y, rec, dh = scratch["gates"], scratch["hs"], scratch["y"], scratch["rec"], scratch["dh"]
    w_ih, w_hh, w_out = params["weight_ih"], params["weight_hh"], params["head_weight"]
    np.matmul(x.reshape(rows, size), w_ih.T, out=gates)
    w_hh_t = _transposed(w_hh)
    for t in range(steps):
        np.matmul(hs[t * batch:(t + 1) * batch], w_hh_t, out=rec)
    np.matmul(hs, w_out.T, out=y)
    y.T @ hs
    np.matmul(y, w_out, out=hs)
    for t in range(steps):
        np.matmul(gates[t * batch:(t + 1) * batch], w_hh, out=dh)
    gates.T @ x.reshape(rows, size)
    gates.T @ hs
    return scratch

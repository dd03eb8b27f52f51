"""Tutorial 2: a vanilla RNN, BPTT, and vanishing gradients."""

# %% [markdown]
# # 2. A vanilla RNN and backpropagation through time
#
# A recurrent network applies one cell at every time step, feeding its hidden
# state forward:
#
#     h_t = tanh(a_t),   a_t = x_t W_ih^T + b + h_{t-1} W_hh^T      x_t: (B, I), h_t: (B, H)
#
# Unrolled over T steps this is an ordinary (deep) graph, and backpropagation
# through time (BPTT) is just `loss.backward()` on it. We build the cell from
# primitive ops and draw the unrolled graph, write BPTT by hand as two loops and
# check it against autograd, see why the gradient shrinks by a factor at every
# step (and how an LSTM's forget gate changes that factor), and train the RNN on
# a noisy sine wave.
#
# Run: `python tutorials/02_rnn_and_bptt.py [--quick] [--device cuda] [--out DIR]`

# %%
import math

import common
import exercise_checks

import tinygrad_rnn as tr
from tinygrad_rnn import data, nn, optim, viz
from tinygrad_rnn.backend import np

# %%
args = common.parse_args(__doc__, name="02_rnn_and_bptt")
device = common.check_device(args.device)
tr.manual_seed(args.seed)
results = {}
print(f"device {device}, quick {args.quick}, figures and results.json in {args.out}")

# %% [markdown]
# ## The cell from primitive ops, and its unrolled graph
#
# `VanillaRNNCell` is three ops and a tanh. Its W_hh is orthogonal times a `recurrent_gain`:
# every singular value equals the gain, which makes the gain a dial for the experiment below.
# `nn.unroll` runs a cell over x: (T, B, I) and records each step under the scope `t=<step>`,
# which the drawing turns into one cluster per step.

# %%
class VanillaRNNCell(nn.Module):
    """h_t = tanh(x_t W_ih^T + b + h_{t-1} W_hh^T)."""

    def __init__(self, input_size, hidden_size, recurrent_gain=1.0):
        super().__init__()
        bound = 1 / math.sqrt(hidden_size)
        rng = tr.backend.rng()
        self.weight_ih = nn.Parameter(rng.uniform(-bound, bound, (hidden_size, input_size)).astype(np.float32))
        q, _ = np.linalg.qr(rng.standard_normal((hidden_size, hidden_size)))
        self.weight_hh = nn.Parameter((recurrent_gain * q).astype(np.float32))
        self.bias = nn.Parameter(np.zeros(hidden_size, dtype=np.float32))
        self.hidden_size = hidden_size

    def forward(self, x, h=None):
        if h is None:
            h = tr.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
        return (x @ self.weight_ih.T + self.bias + h @ self.weight_hh.T).tanh()


class SequenceRegressor(nn.Module):
    """x: (T, B, 1) -> the cell unrolled over T steps -> a prediction per step (T, B)."""

    def __init__(self, hidden_size, recurrent_gain=1.0):
        super().__init__()
        self.cell = VanillaRNNCell(1, hidden_size, recurrent_gain)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        hidden, _ = nn.unroll(self.cell, x)
        return self.head(tr.stack(hidden, axis=0)).squeeze(-1), hidden


small = SequenceRegressor(3).to(device)
out, _ = small(tr.tensor(np.ones((4, 1, 1), dtype=np.float32), device=device))
graph = viz.draw_graph(out.sum(), params=small)
common.save_graph(graph, args.out, "unrolled_rnn")

# %% [markdown]
# ## BPTT by hand: a loop forward, a loop backward
#
# With the loss L = sum_t 0.5 ||h_t - y_t||^2, the gradient reaching h_t comes from two
# places: its own output (h_t - y_t) and the next step (through h_{t+1}). Walking t = T..1:
#
#     dh_t  = (h_t - y_t) + da_{t+1} W_hh           what reaches h_t         (B, H)
#     da_t  = dh_t * (1 - h_t^2)                     through tanh             (B, H)
#     dW_hh += da_t^T h_{t-1},  dW_ih += da_t^T x_t,  db += sum_batch da_t
#
# W_hh is used at every step, so its gradient is a sum of one term per step. Plain NumPy in
# float64, checked against autograd on the same numbers.

# %%
T_hand, B_hand, I_hand, H_hand = 6, 3, 2, 4
rng = np.random.default_rng(args.seed)
xs = rng.standard_normal((T_hand, B_hand, I_hand))
ys = rng.standard_normal((T_hand, B_hand, H_hand))
W_ih = rng.standard_normal((H_hand, I_hand)) * 0.5
W_hh = rng.standard_normal((H_hand, H_hand)) * 0.5
b_h = rng.standard_normal(H_hand) * 0.1

hs = [np.zeros((B_hand, H_hand))]                        # h_0 = 0
for t in range(T_hand):                                  # forward: t = 1..T
    hs.append(np.tanh(xs[t] @ W_ih.T + b_h + hs[-1] @ W_hh.T))

dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b_h)
per_step_dW_hh = [None] * T_hand
da_next = np.zeros((B_hand, H_hand))
for t in reversed(range(T_hand)):                        # backward: t = T..1
    dh = (hs[t + 1] - ys[t]) + da_next @ W_hh
    da = dh * (1 - hs[t + 1] ** 2)
    per_step_dW_hh[t] = da.T @ hs[t]
    dW_hh += per_step_dW_hh[t]
    dW_ih += da.T @ xs[t]
    db += da.sum(axis=0)
    da_next = da

# the same graph through autograd
params = {name: tr.tensor(v, requires_grad=True) for name, v in (("W_ih", W_ih), ("W_hh", W_hh), ("b", b_h))}
h = tr.zeros(B_hand, H_hand, dtype=tr.float64)
loss = 0.0
for t in range(T_hand):
    h = (tr.tensor(xs[t]) @ params["W_ih"].T + params["b"] + h @ params["W_hh"].T).tanh()
    loss = loss + 0.5 * ((h - tr.tensor(ys[t])) ** 2).sum()
loss.backward()
bptt_error = max(float(np.abs(params[n].grad.numpy() - g).max()) for n, g in
                 (("W_ih", dW_ih), ("W_hh", dW_hh), ("b", db)))
print(f"max |hand-written BPTT - autograd| over W_ih, W_hh, b: {bptt_error:.2e}")
results["bptt_by_hand_error"] = bptt_error

# %% [markdown]
# ## A shared weight's gradient is the sum over steps
#
# Give every step its own copy of W_hh (same values, separate leaves) and autograd gives each
# copy its own gradient: exactly the per-step terms da_t^T h_{t-1} of the loop above, and
# their sum is the shared W_hh's gradient. (Step 1's term is zero: it multiplies h_0 = 0.)

# %%
copies = [tr.tensor(W_hh, requires_grad=True) for _ in range(T_hand)]
h = tr.zeros(B_hand, H_hand, dtype=tr.float64)
loss = 0.0
for t in range(T_hand):
    h = (tr.tensor(xs[t]) @ params["W_ih"].T + params["b"] + h @ copies[t].T).tanh()
    loss = loss + 0.5 * ((h - tr.tensor(ys[t])) ** 2).sum()
loss.backward()
common.print_table([[t + 1, float(np.linalg.norm(c.grad.numpy())),
                     float(np.abs(c.grad.numpy() - per_step_dW_hh[t]).max())] for t, c in enumerate(copies)],
                   ["step t", "||dL/dW_hh(copy t)||", "max |copy's grad - loop's term|"],
                   "W_hh's gradient, step by step")
shared_sum_error = float(np.abs(sum(c.grad.numpy() for c in copies) - params["W_hh"].grad.numpy()).max())
print(f"max |sum of the copies' gradients - shared W_hh.grad| = {shared_sum_error:.2e}")
results["shared_weight_sum_error"] = shared_sum_error

# %% [markdown]
# ## Why gradients vanish: one factor per step
#
# The backward loop above multiplies what reaches h_t by one matrix per step:
#
#     dL/dh_{t-1} = dL/dh_t  J_t,    J_t = diag(tanh'(a_t)) W_hh,    tanh'(a) = 1 - tanh(a)^2 <= 1
#
# so over k steps the gradient is multiplied by J_t J_{t-1} ... J_{t-k+1}, and
#
#     ||dL/dh_{t-1}|| <= ||dL/dh_t|| * sigma_max(W_hh) * max tanh'(a_t)
#
# A factor below one at every step shrinks the gradient geometrically: the loss at step T
# barely reaches step 1, and nothing learns from that far back. PyTorch's default
# initialisation draws W_hh's entries from U(-1/sqrt(H), 1/sqrt(H)), variance 1/(3H): for a
# typical vector v, each entry of W_hh v sums H terms of that variance, so ||W_hh v|| is about
# ||v|| / sqrt(3) = 0.58 ||v||. (The bound sigma_max, about 2/sqrt(3) for a random square
# matrix, is loose: the gradient is not aligned with the top singular vector at every step.)
# Measure it on a default `nn.RNN`, loss on the last step only:

# %%
steps = 30 if args.quick else 100
x_probe = tr.randn(steps, 8, 1, dtype=tr.float64, device=device)  # float64: 0.5^100 underflows float32


def step_norms(layer):
    out, _ = layer(x_probe)
    return nn.step_gradient_norms((out[-1] ** 2).mean(), out)     # [||dL/dh_1||, ..., ||dL/dh_T||]


rnn = nn.RNN(1, 32).double().to(device)
rnn_norms = step_norms(rnn)
factors = [rnn_norms[t - 1] / rnn_norms[t] for t in range(1, steps)]
sigma_max = float(np.linalg.svd(rnn.weight_hh_l0.numpy(), compute_uv=False)[0])
factor = (rnn_norms[0] / rnn_norms[-1]) ** (1 / (steps - 1))
print("per-step factor ||dL/dh_(t-1)|| / ||dL/dh_t||, last steps first:",
      " ".join(f"{f:.2f}" for f in factors[::-1][:8]), "...")
common.print_table([["sigma_max(W_hh): the bound", sigma_max], ["1/sqrt(3): a typical vector", 1 / math.sqrt(3)],
                    ["measured (geometric mean)", factor], [f"ratio over {steps} steps", rnn_norms[0] / rnn_norms[-1]]],
                   ["default nn.RNN(1, 32)", "per-step factor"], "The per-step factor of a default tanh RNN")
results["default_rnn_factor"] = factor

# %% [markdown]
# ## Turning the dial: the size of W_hh
#
# With an orthogonal W_hh times a gain, sigma_max(W_hh) = gain exactly. Gain 0.5 vanishes
# fast (factor <= 0.5); gain 1 still decays, because tanh' < 1 wherever the state is not zero;
# gain 2 can grow, exploding until tanh saturates.

# %%
def gain_norms(gain, hidden_size=32):
    model = SequenceRegressor(hidden_size, gain).double().to(device)
    out, hidden = model(x_probe)
    return nn.step_gradient_norms((out[-1] ** 2).mean(), hidden)


norms = {gain: gain_norms(gain) for gain in (0.5, 1.0, 2.0)}
rows = [[f"{gain:g}", n[-1], n[0], n[0] / n[-1], (n[0] / n[-1]) ** (1 / (steps - 1))] for gain, n in norms.items()]
common.print_table(rows, ["W_hh gain", "||dL/dh_T||", "||dL/dh_1||", "ratio first/last", "per-step factor"],
                   f"Gradient reaching each of {steps} steps (loss on the last step only)")
results["ratio"] = {f"{gain:g}": n[0] / n[-1] for gain, n in norms.items()}

# %% [markdown]
# ## An LSTM: the forget gate sets the factor
#
# The LSTM's cell state is c_t = f_t * c_{t-1} + i_t * g_t, so along c the per-step factor is
# the forget gate f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf) itself, no W_hh in
# between. With the default initialisation the biases are small and f_t is near sigmoid(0) =
# 1/2: a default LSTM's gradient decays much like the tanh RNN's. Setting the forget-gate
# bias to 2 opens the gate (sigmoid(2) = 0.88), and the gradient reaches far back: this, not
# the LSTM's structure alone, is why the bias is so often initialised to 1 or 2. Gate order
# as PyTorch: i, f, g, o, so the forget gate's rows are H:2H.

# %%
lstm_steps = 30
x_lstm = tr.randn(lstm_steps, 8, 1, device=device)
lstm_ratio = {}
lstm_norms = {}
for label, forget_bias in (("default", None), ("forget bias 2", 2.0)):
    lstm = nn.LSTM(1, 32).to(device)
    if forget_bias is not None:
        H = lstm.hidden_size
        with tr.no_grad():
            lstm.bias_ih_l0[H:2 * H] = forget_bias
            lstm.bias_hh_l0[H:2 * H] = 0.0
    out, _ = lstm(x_lstm)
    lstm_norms[label] = nn.step_gradient_norms((out[-1] ** 2).mean(), out)
    lstm_ratio[label] = lstm_norms[label][0] / lstm_norms[label][-1]
common.print_table([[label, r, r ** (1 / (lstm_steps - 1))] for label, r in lstm_ratio.items()],
                   ["LSTM(1, 32)", f"||dL/dh_1|| / ||dL/dh_{lstm_steps}||", "per-step factor"],
                   f"Forget-gate bias and the gradient over {lstm_steps} steps")
results["lstm_ratio"] = lstm_ratio

# %%
plt = common.pyplot()
if plt is not None:
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.5), sharey=False)
    ax.semilogy(range(1, steps + 1), rnn_norms, "k--", label="default nn.RNN")
    for gain, n in norms.items():
        ax.semilogy(range(1, len(n) + 1), n, label=f"orthogonal W_hh, gain {gain:g}")
    ax.set_xlabel("time step t")
    ax.set_ylabel("||dL/dh_t||")
    ax.set_title("tanh RNN: vanishing and exploding")
    ax.legend(fontsize="small")
    for label, n in lstm_norms.items():
        ax2.semilogy(range(1, lstm_steps + 1), n, label=f"LSTM, {label}")
    ax2.set_xlabel("time step t")
    ax2.set_title("LSTM: the forget-gate bias")
    ax2.legend(fontsize="small")
    common.save(fig, args.out, "rnn_gradients.png")

# %% [markdown]
# ## Training with BPTT: predict the next value of a noisy sine
#
#     x_t = sin(2 pi t / 20) + 0.1 eps_t; the model sees x_1..x_t and predicts x_{t+1}.
#
# Two references: persistence (x_hat_{t+1} = x_t) and the noise floor 0.1^2 = 0.01,
# the error of a perfect predictor of the clean signal.

# %%
seq_len, batch = 40, 32
series = data.sine_wave(4000, period=20.0, noise=0.1)
train, test = series[:3000], series[3000:]
rng = tr.backend.rng()


def windows(s, starts):
    index = starts[None, :] + np.arange(seq_len + 1)[:, None]   # (T+1, B), time first
    w = s[index].astype(np.float32)
    return tr.tensor(w[:-1, :, None], device=device), tr.tensor(w[1:], device=device)


model = SequenceRegressor(16).to(device)
opt = optim.Adam(model.parameters(), lr=1e-2)
train_steps = 150 if args.quick else 1500
losses = []
with common.Timer() as timer:
    for _ in range(train_steps):
        x, y = windows(train, rng.integers(0, len(train) - seq_len - 1, size=batch))
        pred, _ = model(x)
        loss = nn.functional.mse_loss(pred[5:], y[5:])     # the first steps have too little history
        opt.zero_grad()
        loss.backward()                                    # BPTT through all 40 steps
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
print(f"{train_steps} steps in {timer.seconds:.1f}s, last training loss {losses[-1]:.4f}")

# %%
with tr.no_grad():
    x, y = windows(test, np.arange(0, len(test) - seq_len - 1, seq_len))
    pred, _ = model(x)
    test_mse = float(((pred.numpy() - y.numpy())[5:] ** 2).mean())
    persistence = float(((x.numpy()[5:, :, 0] - y.numpy()[5:]) ** 2).mean())
common.print_table([["vanilla RNN (BPTT)", test_mse], ["persistence x[t]", persistence], ["noise floor", 0.01]],
                   ["predictor of x[t+1]", "test MSE"], f"Noisy sine, {train_steps} training steps")
results["test_mse"], results["persistence_mse"] = test_mse, persistence
if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.semilogy(losses)
    ax.axhline(0.01, color="grey", ls=":", label="noise floor")
    ax.set_xlabel("step")
    ax.set_title("BPTT training loss (noisy sine)")
    ax.legend()
    common.save(fig, args.out, "rnn_training.png")

# %% [markdown]
# ## Exercises
#
# Fill in each `exercise_...` function, then run the cell at the end: it calls each
# `check_...` on your function and says "passed", "unfinished" or what was wrong.
# Worked solutions: `tutorials/solutions/02_rnn_and_bptt.py`.
#
# **1. One step's factor.** Write `exercise_step_jacobian(h_t, W_hh)`: for one example, with
# h_t = tanh(a_t) (H,) and W_hh (H, H), return the Jacobian dh_t/dh_{t-1} (H, H), the matrix
# J_t above. The check compares it with autograd's, row by row.

# %%
def exercise_step_jacobian(h_t, W_hh):
    raise NotImplementedError("exercise")


def check_step_jacobian(fn):
    rng = np.random.default_rng(4)
    H = 5
    W_hh, W_x = rng.standard_normal((H, H)), rng.standard_normal(H)
    h_prev = tr.tensor(rng.standard_normal(H), requires_grad=True)
    h_t = (tr.tensor(W_x) + tr.tensor(W_hh) @ h_prev).tanh()
    got = np.asarray(fn(h_t.numpy(), W_hh))
    assert got.shape == (H, H), f"step_jacobian: shape {got.shape}, expected {(H, H)}"
    for i in range(H):
        h_prev.grad = None
        h_t[i].backward(retain_graph=True)
        assert np.allclose(got[i], h_prev.grad.numpy()), f"step_jacobian: row {i} (dh_t[{i}]/dh_(t-1)) differs"


# %% [markdown]
# **2. BPTT by hand for a ReLU RNN.** h_t = relu(x_t W_ih^T + b + h_{t-1} W_hh^T), h_0 = 0,
# loss L = sum(h_T) (the last state only). Write `exercise_relu_bptt(xs, W_ih, W_hh, b)`,
# xs: (T, B, I), returning (dW_ih, dW_hh, db) as NumPy arrays: the loops above, with relu'
# (1 where a_t > 0, else 0) in place of tanh'.

# %%
def exercise_relu_bptt(xs, W_ih, W_hh, b):
    raise NotImplementedError("exercise")


def check_relu_bptt(fn):
    rng = np.random.default_rng(5)
    T, B, n_in, H = 5, 3, 2, 4
    xs = rng.standard_normal((T, B, n_in))
    values = rng.standard_normal((H, n_in)), rng.standard_normal((H, H)) * 0.6, rng.standard_normal(H) * 0.3
    W_ih, W_hh, b = (tr.tensor(v, requires_grad=True) for v in values)
    h = tr.zeros(B, H, dtype=tr.float64)
    for t in range(T):
        h = (tr.tensor(xs[t]) @ W_ih.T + b + h @ W_hh.T).relu()
    h.sum().backward()
    got = fn(xs, *values)
    assert len(got) == 3, "relu_bptt: return (dW_ih, dW_hh, db)"
    for name, mine, leaf in zip(("dW_ih", "dW_hh", "db"), got, (W_ih, W_hh, b)):
        mine = np.asarray(mine)
        assert mine.shape == leaf.shape, f"relu_bptt: {name} has shape {mine.shape}, expected {tuple(leaf.shape)}"
        assert np.allclose(mine, leaf.grad.numpy()), f"relu_bptt: {name} differs from autograd's"


# %% [markdown]
# **3. Open the forget gate.** Write `exercise_set_forget_bias(lstm, value)`: change the
# `nn.LSTM` (one layer) in place so that its total forget-gate bias b_if + b_hf is `value` for
# every unit, leaving the other gates' biases as they were.

# %%
def exercise_set_forget_bias(lstm, value):
    raise NotImplementedError("exercise")


def check_set_forget_bias(fn):
    lstm = nn.LSTM(2, 3)
    before = {k: v.numpy().copy() for k, v in lstm.state_dict().items()}
    fn(lstm, 1.5)
    after = {k: v.numpy() for k, v in lstm.state_dict().items()}
    total = after["bias_ih_l0"] + after["bias_hh_l0"]
    assert np.allclose(total[3:6], 1.5), f"set_forget_bias: b_if + b_hf = {total[3:6]}, expected 1.5 each"
    for gate, rows in (("i", slice(0, 3)), ("g", slice(6, 9)), ("o", slice(9, 12))):
        for k in ("bias_ih_l0", "bias_hh_l0"):
            assert np.array_equal(after[k][rows], before[k][rows]), f"set_forget_bias: the {gate} gate's {k} changed"
    for k in ("weight_ih_l0", "weight_hh_l0"):
        assert np.array_equal(after[k], before[k]), f"set_forget_bias: {k} changed"


# %%
results["exercises"] = exercise_checks.run(globals())

# %%
common.finish(args, results)

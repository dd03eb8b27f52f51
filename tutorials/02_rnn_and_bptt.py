"""Tutorial 2: a vanilla RNN, BPTT, and vanishing gradients."""

# %% [markdown]
# # 2. A vanilla RNN and backpropagation through time
#
# A recurrent network applies one cell at every time step, feeding its hidden
# state forward:
#
#     h_t = tanh(x_t W_ih^T + b + h_{t-1} W_hh^T)      x_t: (B, I), h_t: (B, H)
#
# Unrolled over T steps this is an ordinary (deep) graph, and backpropagation
# through time (BPTT) is just `loss.backward()` on it. We build the cell from
# primitive ops, draw the unrolled graph with one cluster per time step, measure
# how much gradient reaches each step, show it vanishing (or exploding) with the
# size of W_hh, and train the RNN on a noisy sine wave.
#
# Run: `python tutorials/02_rnn_and_bptt.py [--quick] [--device cuda] [--out DIR]`

# %%
import math

import common

import tinygrad_rnn as tr
from tinygrad_rnn import data, nn, optim, viz
from tinygrad_rnn.backend import np


# %%
class VanillaRNNCell(nn.Module):
    """h_t = tanh(x_t W_ih^T + b + h_{t-1} W_hh^T); the whole cell is three ops and a tanh."""

    def __init__(self, input_size, hidden_size, recurrent_gain=1.0):
        super().__init__()
        bound = 1 / math.sqrt(hidden_size)
        rng = tr.backend.rng()
        self.weight_ih = nn.Parameter(rng.uniform(-bound, bound, (hidden_size, input_size)).astype(np.float32))
        # an orthogonal W_hh scaled by `gain`: every singular value equals the gain, so the
        # gain alone decides whether gradients shrink or grow from step to step
        q, _ = np.linalg.qr(rng.standard_normal((hidden_size, hidden_size)))
        self.weight_hh = nn.Parameter((recurrent_gain * q).astype(np.float32))
        self.bias = nn.Parameter(np.zeros(hidden_size, dtype=np.float32))
        self.hidden_size = hidden_size

    def forward(self, x, h=None):
        if h is None:
            h = tr.zeros(x.shape[0], self.hidden_size, device=x.device)
        return (x @ self.weight_ih.T + self.bias + h @ self.weight_hh.T).tanh()


class SequenceRegressor(nn.Module):
    """x: (T, B, 1) -> the cell unrolled over T steps -> a prediction per step (T, B)."""

    def __init__(self, hidden_size, recurrent_gain=1.0):
        super().__init__()
        self.cell = VanillaRNNCell(1, hidden_size, recurrent_gain)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        hidden, _ = nn.unroll(self.cell, x)     # each step recorded under the scope "t=<step>"
        return self.head(tr.stack(hidden, axis=0)).squeeze(-1), hidden


# %% [markdown]
# ## How much gradient reaches step t?
#
# With the loss on the last output only, dL/dh_t = dL/dh_T * prod_{k>t} diag(1 - h_k^2) W_hh,
# so its norm changes by roughly a constant factor per step: below one it vanishes,
# above one it can explode. `nn.step_gradient_norms` measures ||dL/dh_t|| for every t.


# %%
def gradient_per_step(gain, steps, device, hidden_size=32):
    model = SequenceRegressor(hidden_size, gain).to(device)
    x = tr.tensor(tr.backend.rng().standard_normal((steps, 8, 1)).astype(np.float32), device=device)
    out, hidden = model(x)
    loss = (out[-1] ** 2).mean()
    return nn.step_gradient_norms(loss, hidden)


# %% [markdown]
# ## Training with BPTT: predict the next value of a noisy sine
#
#     x_t = sin(2 pi t / 20) + 0.1 eps_t; the model sees x_1..x_t and predicts x_{t+1}.
# Two references: persistence (x_hat_{t+1} = x_t) and the noise floor 0.1^2 = 0.01,
# the error of a perfect predictor of the clean signal.


# %%
def train_on_sine(steps, device, seq_len=40, batch=32, hidden_size=16):
    series = data.sine_wave(4000, period=20.0, noise=0.1)
    train, test = series[:3000], series[3000:]
    rng = tr.backend.rng()
    model = SequenceRegressor(hidden_size).to(device)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    losses = []

    def windows(s, starts):
        index = starts[None, :] + np.arange(seq_len + 1)[:, None]   # (T+1, B), time first
        w = s[index].astype(np.float32)
        return tr.tensor(w[:-1, :, None], device=device), tr.tensor(w[1:], device=device)

    for _ in range(steps):
        x, y = windows(train, rng.integers(0, len(train) - seq_len - 1, size=batch))
        pred, _ = model(x)
        loss = nn.functional.mse_loss(pred[5:], y[5:])     # the first steps have too little history
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    with tr.no_grad():
        x, y = windows(test, np.arange(0, len(test) - seq_len - 1, seq_len))
        pred, _ = model(x)
        test_mse = float(((pred.numpy() - y.numpy())[5:] ** 2).mean())
        persistence = float(((x.numpy()[5:, :, 0] - y.numpy()[5:]) ** 2).mean())
    return losses, test_mse, persistence


# %%
def main(argv=None):
    args = common.parse_args(__doc__, argv, name="02_rnn_and_bptt")
    device = common.check_device(args.device)
    tr.manual_seed(args.seed)

    # the unrolled graph of four steps: one cluster per time step
    small = SequenceRegressor(3).to(device)
    out, _ = small(tr.tensor(np.ones((4, 1, 1), dtype=np.float32), device=device))
    common.save_graph(viz.draw_graph(out.sum(), params=small), args.out, "unrolled_rnn")

    steps = 30 if args.quick else 100
    norms = {gain: gradient_per_step(gain, steps, device) for gain in (0.5, 1.0, 2.0)}
    rows = [[f"{gain:g}", n[-1], n[0], n[0] / n[-1]] for gain, n in norms.items()]
    common.print_table(rows, ["W_hh gain", "||dL/dh_T||", "||dL/dh_1||", "ratio first/last"],
                       f"Gradient reaching each of {steps} steps (loss on the last step only)")

    train_steps = 150 if args.quick else 1500
    with common.Timer() as timer:
        losses, test_mse, persistence = train_on_sine(train_steps, device)
    common.print_table([["vanilla RNN (BPTT)", test_mse], ["persistence x[t]", persistence], ["noise floor", 0.01]],
                       ["predictor of x[t+1]", "test MSE"],
                       f"Noisy sine, {train_steps} training steps in {timer.seconds:.1f}s")

    plt = common.pyplot()
    if plt is not None:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
        for gain, n in norms.items():
            ax.semilogy(range(1, len(n) + 1), n, label=f"gain {gain:g}")
        ax.set_xlabel("time step t")
        ax.set_ylabel("||dL/dh_t||")
        ax.set_title("Vanishing and exploding gradients")
        ax.legend()
        ax2.semilogy(losses)
        ax2.axhline(0.01, color="grey", ls=":", label="noise floor")
        ax2.set_xlabel("step")
        ax2.set_title("BPTT training loss (noisy sine)")
        ax2.legend()
        common.save(fig, args.out, "rnn_gradients_and_training.png")
    ratios = {f"{gain:g}": n[0] / n[-1] for gain, n in norms.items()}
    return common.finish(args, {"ratio": ratios, "test_mse": test_mse, "persistence_mse": persistence})


# %%
if __name__ == "__main__":
    main()

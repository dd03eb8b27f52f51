"""Tutorial 5: the adding problem and the copy task, tanh RNN against LSTM against GRU."""

# %% [markdown]
# # 5. Long-range dependencies: the adding problem and the copy task
#
# Two tasks whose answers depend on inputs many steps back:
#
# - **adding problem**: T pairs (value, marker); the target is the sum of the two
#   marked values. Always answering the mean, 1.0, gives MSE 1/6 ~ 0.167.
# - **copy task**: read S symbols, wait through a delay, then write them back.
#   Guessing gives accuracy 1/(number of symbols) on the recalled positions.
#
# A tanh RNN, an LSTM and a GRU of the same hidden size train on each with Adam
# and gradient-norm clipping (the total gradient norm is rescaled to at most 1,
# which keeps an occasional exploding gradient from wrecking the weights).
#
# Run: `python tutorials/05_long_range_dependencies.py [--quick] [--device cuda] [--out DIR]`

# %%
import common

import tinygrad_rnn as tr
from tinygrad_rnn import data, nn, optim
from tinygrad_rnn.backend import np

LAYERS = {"tanh RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


# %%
class Adder(nn.Module):
    """x (B, T, 2) -> recurrent layer -> last hidden state -> Linear -> the sum (B,)."""

    def __init__(self, kind, hidden_size):
        super().__init__()
        self.rnn = LAYERS[kind](2, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).reshape(-1)


class Copier(nn.Module):
    """tokens (B, T) -> Embedding -> recurrent layer -> Linear -> a class per step (B, T, C)."""

    def __init__(self, kind, n_tokens, hidden_size):
        super().__init__()
        self.embed = nn.Embedding(n_tokens, 16)
        self.rnn = LAYERS[kind](16, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, n_tokens)

    def forward(self, tokens):
        out, _ = self.rnn(self.embed(tokens))
        return self.head(out)


# %%
def train(model, make_batch, loss_fn, steps, lr=1e-2, clip=1.0):
    opt = optim.Adam(model.parameters(), lr=lr)
    losses, norms = [], []
    for _ in range(steps):
        x, y = make_batch()
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        norms.append(nn.utils.clip_grad_norm_(model.parameters(), clip).item())
        opt.step()
        losses.append(loss.item())
    return losses, norms


def run_adding(kind, length, steps, device, hidden_size=32, batch=64):
    model = Adder(kind, hidden_size).to(device)

    def batch_of(n):
        x, y = data.adding_problem(n, length)
        return tr.tensor(x, device=device), tr.tensor(y, device=device)

    losses, norms = train(model, lambda: batch_of(batch), nn.functional.mse_loss, steps)
    x, y = batch_of(1000)
    with tr.no_grad():
        test_mse = nn.functional.mse_loss(model(x), y).item()
    return test_mse, losses, norms


def run_copy(kind, n_symbols, seq_len, delay, steps, device, hidden_size=64, batch=64):
    n_tokens = n_symbols + 2
    model = Copier(kind, n_tokens, hidden_size).to(device)

    def batch_of(n):
        x, y = data.copy_task(n, n_symbols, seq_len, delay)
        return tr.tensor(x, device=device), tr.tensor(y, device=device)

    def loss_fn(logits, y):
        return nn.functional.cross_entropy(logits.reshape(-1, n_tokens), y.reshape(-1))

    losses, norms = train(model, lambda: batch_of(batch), loss_fn, steps)
    x, y = batch_of(500)
    with tr.no_grad():
        guess = model(x).numpy().argmax(axis=-1)
    accuracy = float((guess[:, -seq_len:] == y.numpy()[:, -seq_len:]).mean())
    return accuracy, losses, norms


# %%
def main(argv=None):
    args = common.parse_args(__doc__, argv, name="05_long_range_dependencies")
    device = common.check_device(args.device)
    if args.quick:
        length, adding_steps = 10, 300
        n_symbols, seq_len, delay, copy_steps = 4, 4, 5, 300
    else:
        length, adding_steps = 50, 2000
        n_symbols, seq_len, delay, copy_steps = 8, 8, 20, 2000

    results, curves = {"adding": {}, "copy": {}}, {"adding": {}, "copy": {}}
    rows = []
    for kind in LAYERS:
        tr.manual_seed(args.seed)
        with common.Timer() as t_add:
            mse, losses, norms = run_adding(kind, length, adding_steps, device)
        results["adding"][kind], curves["adding"][kind] = mse, losses
        tr.manual_seed(args.seed)
        with common.Timer() as t_copy:
            acc, losses, copy_norms = run_copy(kind, n_symbols, seq_len, delay, copy_steps, device)
        results["copy"][kind], curves["copy"][kind] = acc, losses
        clipped = np.mean(np.array(norms + copy_norms) > 1.0)
        rows.append([kind, mse, acc, f"{clipped:.0%}", f"{t_add.seconds + t_copy.seconds:.0f}s"])
    rows.append(["baseline (mean / guess)", 1 / 6, 1 / n_symbols, "-", "-"])
    common.print_table(rows, ["model", f"adding MSE (T={length})", f"copy accuracy (S={seq_len}, delay={delay})",
                              "steps clipped", "time"], f"{adding_steps} / {copy_steps} training steps")

    plt = common.pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
        for ax, task, baseline, label in ((axes[0], "adding", 1 / 6, "MSE"),
                                          (axes[1], "copy", None, "cross-entropy")):
            for kind, losses in curves[task].items():
                smooth = np.convolve(losses, np.ones(20) / 20, mode="valid")
                ax.plot(smooth, label=kind)
            if baseline:
                ax.axhline(baseline, color="grey", ls=":", label="predict the mean")
            ax.set_yscale("log")
            ax.set_xlabel("step")
            ax.set_ylabel(f"training {label} (20-step mean)")
            ax.set_title(f"{task} task")
            ax.legend()
        common.save(fig, args.out, "long_range_learning_curves.png")
    return common.finish(args, results)


# %%
if __name__ == "__main__":
    main()

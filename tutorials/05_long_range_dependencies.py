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
# Run: `python tutorials/05_long_range_dependencies.py [--quick] [--device cuda] [--out DIR]`.
# In a notebook, `%env TUTORIAL_QUICK=1` in a first cell gives the quick run.

# %%
import common
import exercise_checks

import tinygrad_rnn as tr
from tinygrad_rnn import data, nn, optim
from tinygrad_rnn.backend import np

# %%
args = common.parse_args(__doc__, name="05_long_range_dependencies")
device = common.check_device(args.device)
if args.quick:
    LENGTH, ADDING_STEPS = 10, 300
    N_SYMBOLS, SEQ_LEN, DELAY, COPY_STEPS = 4, 4, 5, 300
else:
    LENGTH, ADDING_STEPS = 50, 2000
    N_SYMBOLS, SEQ_LEN, DELAY, COPY_STEPS = 8, 8, 20, 2000
LAYERS = {"tanh RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
print(f"device {device}; adding T={LENGTH}, {ADDING_STEPS} steps; copy S={SEQ_LEN} after {DELAY}, {COPY_STEPS} steps")

# %% [markdown]
# ## The two tasks, one example each
#
# Channel 0 of the adding problem holds the values, channel 1 the two markers;
# the copy task's input is the symbols, blanks through the delay, a "go" mark,
# and its target the symbols again at the end.

# %%
x, y = data.adding_problem(1, LENGTH, rng=np.random.default_rng(0))
print("adding values :", np.round(x[0, :, 0], 2))
print("adding markers:", x[0, :, 1].astype(int), " target:", round(float(y[0]), 3))
x, y = data.copy_task(1, N_SYMBOLS, SEQ_LEN, DELAY, rng=np.random.default_rng(0))
print("copy input :", x[0])
print("copy target:", y[0])


# %% [markdown]
# ## The models
#
#     adding:  x (B, T, 2) -> recurrent layer -> last output -> Linear -> the sum (B,)
#     copy:    tokens (B, T) -> Embedding -> recurrent layer -> Linear -> a class per step (B, T, C)


# %%
class Adder(nn.Module):
    def __init__(self, kind, hidden_size):
        super().__init__()
        self.rnn = LAYERS[kind](2, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).reshape(-1)


class Copier(nn.Module):
    def __init__(self, kind, n_tokens, hidden_size):
        super().__init__()
        self.embed = nn.Embedding(n_tokens, 16)
        self.rnn = LAYERS[kind](16, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, n_tokens)

    def forward(self, tokens):
        out, _ = self.rnn(self.embed(tokens))
        return self.head(out)


def train(model, make_batch, loss_fn, steps, lr=1e-2, clip=1.0):
    """Adam with the gradient norm clipped; returns the losses (floats) and the norms before clipping."""
    opt = optim.Adam(model.parameters(), lr=lr)
    losses, norms = [], []
    for _ in range(steps):
        x, y = make_batch()
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        norms.append(nn.utils.clip_grad_norm_(model.parameters(), clip).item())
        opt.step()
        losses.append(loss.item())     # a float: holding the Tensor would hold its graph (see below)
    return losses, norms


def tensors(batch):
    return tuple(tr.tensor(a, device=device) for a in batch)


print(Adder("LSTM", 32))

# %% [markdown]
# ## The adding problem

# %%
results, curves, clipped, seconds = {"adding": {}, "copy": {}}, {"adding": {}, "copy": {}}, {}, {}
for kind in LAYERS:
    tr.manual_seed(args.seed)
    with common.Timer() as timer:
        model = Adder(kind, 32).to(device)
        curves["adding"][kind], norms = train(model, lambda: tensors(data.adding_problem(64, LENGTH)),
                                              nn.functional.mse_loss, ADDING_STEPS)
        x, y = tensors(data.adding_problem(1000, LENGTH))
        with tr.no_grad():
            results["adding"][kind] = nn.functional.mse_loss(model(x), y).item()
    clipped[kind], seconds[kind] = norms, timer.seconds
    print(f"{kind:8s} test MSE {results['adding'][kind]:.4f}  ({timer.seconds:.0f}s)   predicting the mean: 0.1667")

# %% [markdown]
# ## The copy task
#
# The loss is the cross-entropy at every step; the accuracy is measured on the
# last SEQ_LEN positions, where the symbols must be recalled.

# %%
n_tokens = N_SYMBOLS + 2


def copy_loss(logits, y):
    return nn.functional.cross_entropy(logits.reshape(-1, n_tokens), y.reshape(-1))


for kind in LAYERS:
    tr.manual_seed(args.seed)
    with common.Timer() as timer:
        model = Copier(kind, n_tokens, 64).to(device)
        curves["copy"][kind], norms = train(
            model, lambda: tensors(data.copy_task(64, N_SYMBOLS, SEQ_LEN, DELAY)), copy_loss, COPY_STEPS)
        x, y = tensors(data.copy_task(500, N_SYMBOLS, SEQ_LEN, DELAY))
        with tr.no_grad():
            guess = model(x).numpy().argmax(axis=-1)
        results["copy"][kind] = float((guess[:, -SEQ_LEN:] == y.numpy()[:, -SEQ_LEN:]).mean())
    clipped[kind] = clipped[kind] + norms
    seconds[kind] += timer.seconds
    print(f"{kind:8s} recall accuracy {results['copy'][kind]:.3f}  ({timer.seconds:.0f}s)   guessing: {1 / N_SYMBOLS}")

# %% [markdown]
# ## Side by side
#
# "steps clipped" is the share of training steps whose gradient norm was above
# 1 and was scaled down. The quick run's sequences (T=10, a delay of 5) are short
# enough for the tanh RNN to learn a little; at the full run's T=50 and delay 20
# it stays at the baselines (0.154 and 0.13) while both gated cells solve the
# adding problem (docs/tutorials.md has the full run's numbers).

# %%
rows = [[kind, results["adding"][kind], results["copy"][kind], f"{np.mean(np.array(clipped[kind]) > 1.0):.0%}",
         f"{seconds[kind]:.0f}s"] for kind in LAYERS]
rows.append(["baseline (mean / guess)", 1 / 6, 1 / N_SYMBOLS, "-", "-"])
common.print_table(rows, ["model", f"adding MSE (T={LENGTH})", f"copy accuracy (S={SEQ_LEN}, delay={DELAY})",
                          "steps clipped", "time"], f"{ADDING_STEPS} / {COPY_STEPS} training steps")

plt = common.pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, task, baseline, label in ((axes[0], "adding", 1 / 6, "MSE"), (axes[1], "copy", None, "cross-entropy")):
        for kind, losses in curves[task].items():
            ax.plot(np.convolve(losses, np.ones(20) / 20, mode="valid"), label=kind)
        if baseline:
            ax.axhline(baseline, color="grey", ls=":", label="predict the mean")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel(f"training {label} (20-step mean)")
        ax.set_title(f"{task} task")
        ax.legend()
    common.save(fig, args.out, "long_range_learning_curves.png")

# %% [markdown]
# ## Pitfall: summing the loss Tensors
#
# `total += loss` over a training loop keeps every step's graph alive: `total`
# is the output of one more `Add` node whose inputs are all the earlier losses,
# so nothing the loop built can be freed (here the saved activations are freed
# by each backward, but the nodes, their shapes and their edges stay, and in a
# loop without backward, an evaluation loop, the activations stay too). Keep a
# float with `loss.item()` (or compute under `tr.no_grad()`).

# %%
model = Adder("GRU", 16).to(device)
total_tensor, total_float = 0, 0.0
for step in range(1, 21):
    x, y = tensors(data.adding_problem(8, LENGTH))
    loss = nn.functional.mse_loss(model(x), y)
    total_tensor = total_tensor + loss       # wrong: a Tensor, with every step's graph below it
    total_float += loss.item()               # right: a float
    if step in (1, 10, 20):
        nodes = len(tr.autograd.topological_order(total_tensor.grad_fn))
        print(f"after {step:2d} steps the summed Tensor holds {nodes:5d} graph nodes; the float holds none")
print(f"the same number both ways: {total_tensor.item():.4f} == {total_float:.4f}")
results["graph_nodes_held_by_summed_loss"] = nodes

# %% [markdown]
# ## Exercises
#
# Fill in each `exercise_...` function, then run the last cell: it checks
# every exercise and prints "passed", "unfinished" or "wrong: " and why.
# Worked solutions: `tutorials/solutions/05_long_range_dependencies.py`.
#
# **1. Make an adding-problem batch.** Return `x` (n, length, 2) float32 and
# `y` (n,): channel 0 values from U(0, 1); channel 1 is 1 at exactly two steps,
# one in each half of the sequence; `y` is the sum of the two marked values.


# %%
def exercise_adding_batch(n, length, rng):
    raise NotImplementedError("exercise")


def check_adding_batch(fn):
    x, y = fn(500, 12, np.random.default_rng(1))
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == (500, 12, 2) and x.dtype == np.float32, \
        f"x: expected (500, 12, 2) float32, got {x.shape} {x.dtype}"
    assert y.shape == (500,), f"y: expected shape (500,), got {y.shape}"
    assert ((x[..., 0] >= 0) & (x[..., 0] < 1)).all(), "values must lie in [0, 1)"
    markers = x[..., 1]
    assert set(np.unique(markers)) <= {0.0, 1.0}, "markers must be 0 or 1"
    assert (markers[:, :6].sum(1) == 1).all() and (markers[:, 6:].sum(1) == 1).all(), \
        "exactly one marker in each half of every sequence"
    assert np.allclose(y, (x[..., 0] * markers).sum(1), atol=1e-6), "y must be the sum of the two marked values"
    assert x[..., 0].std() > 0.2 and len(np.unique(markers.argmax(1))) > 3, "values and marker places must be random"


# %% [markdown]
# **2. Clip by the total norm, by hand.** Given the gradients as NumPy arrays,
# return them scaled by `min(1, max_norm / total_norm)`, where `total_norm` is
# the 2-norm of all of them together, and the total norm before clipping, as
# `nn.utils.clip_grad_norm_` does. Why one factor for all, and not each clipped
# on its own? (Each on its own would change the gradient's direction.)


# %%
def exercise_clip_by_total_norm(grads, max_norm):
    raise NotImplementedError("exercise")


def check_clip_by_total_norm(fn):
    rng = np.random.default_rng(2)
    for scale in (0.01, 10.0):
        grads = [rng.standard_normal(s) * scale for s in ((3, 4), (4,), (2, 2, 2))]
        params = [tr.zeros(*g.shape, dtype=tr.float64, requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = tr.tensor(g)
        expected_norm = nn.utils.clip_grad_norm_(params, 1.0).item()
        clipped, norm = fn([g.copy() for g in grads], 1.0)
        assert np.isclose(float(norm), expected_norm), f"total norm: expected {expected_norm:.6g}, got {norm}"
        assert len(clipped) == len(grads), "return one array per gradient"
        for c, p in zip(clipped, params):
            assert np.allclose(np.asarray(c), p.grad.numpy()), \
                f"scale {scale}: clipped gradients differ from clip_grad_norm_'s"


# %% [markdown]
# **3. Recall accuracy.** Given a copy model's `logits` (B, T, C) as a NumPy
# array and the `targets` (B, T), return the fraction of the last `seq_len`
# positions where the most likely class is the target (the number in the
# table above; the earlier positions are blanks, easy to get right).


# %%
def exercise_recall_accuracy(logits, targets, seq_len):
    raise NotImplementedError("exercise")


def check_recall_accuracy(fn):
    rng = np.random.default_rng(3)
    targets = rng.integers(0, 5, size=(6, 9))
    logits = rng.standard_normal((6, 9, 5))
    logits[np.arange(6)[:, None], np.arange(9)[None, :], targets] += 10      # right everywhere ...
    logits[:3, -1, :] = -logits[:3, -1, :]                                  # ... but for three recalled steps
    got = fn(logits, targets, 4)
    assert np.isclose(float(got), 21 / 24), \
        f"expected 21/24 = {21 / 24:.4f} (3 of the 24 recalled steps wrong), got {got}"


# %%
results["exercises"] = exercise_checks.run(globals())

# %%
common.finish(args, results)

"""Tutorial 9: two LSTM variants PyTorch's fused cells cannot give you: layer normalisation and variational dropout."""

# %% [markdown]
# # 9. LSTM variants: layer normalisation and variational (recurrent) dropout
#
# PyTorch's `nn.LSTM` is one fused kernel, so two ideas people have asked it for
# for years need a cell loop written by hand there. Here they are ordinary modules
# made of tensor ops, drawn step by step like any composite layer:
#
# **Layer-normalised LSTM** (Ba, Kiros & Hinton 2016), `nn.LayerNormLSTM`: each of
# the two products that feed the gates is normalised over its 4H features, and the
# cell state is normalised where the output reads it:
#
#     LN(a) = (a - mean(a)) / sqrt(var(a) + eps) * w + b
#     [a_i, a_f, a_g, a_o] = LN(x_t W_ih^T) + LN(h_{t-1} W_hh^T) + bias
#     c_t = f * c_{t-1} + i * g,    h_t = o * tanh(LN(c_t))
#
# **Variational dropout** (Gal & Ghahramani 2016), `nn.VariationalLSTM`: one
# dropout mask per sequence, reused at every step, on x_t and on the h_{t-1} that
# feeds the gates. A fresh mask per step would add new noise to the memory at
# every step; one mask per sequence drops the same units all along:
#
#     m_x ~ Bernoulli(1 - p) / (1 - p)  (batch, input),  m_h likewise (batch, H), drawn once
#     [a_i, a_f, a_g, a_o] = (x_t * m_x) W_ih^T + b_ih + (h_{t-1} * m_h) W_hh^T + b_hh
#
# We train both, beside the plain LSTM, as character models of a *small* piece of
# Python source, small enough that a plain LSTM overfits it, and look at what
# each keeps in its memory cells c_t and how far back its gradient reaches.
#
# Run: `python tutorials/09_lstm_variants.py [--quick] [--device cuda] [--out DIR]`

# %%
import math

import common
import exercise_checks

import tinygrad_rnn as tr
from tinygrad_rnn import data, nn, optim
from tinygrad_rnn.backend import np
from tinygrad_rnn.nn.layer_norm_lstm import layer_norm

# %%
args = common.parse_args(__doc__, name="09_lstm_variants")
device = common.check_device(args.device)
tr.manual_seed(args.seed)
QUICK = args.quick
HIDDEN, STEPS, SEQ, BATCH, TRAIN_CHARS = (48, 100, 32, 16, 20_000) if QUICK else (128, 500, 64, 32, 60_000)

# %% [markdown]
# ## The data: a small corpus, so that regularisation matters
#
# 60,000 characters of the standard library's source for training (20,000 in
# quick mode) and a held-out stretch the models never see.

# %%
text = data.load_stdlib_source(max_chars=TRAIN_CHARS + 20_000)
vocab = data.CharVocab(text)
train_ids, test_ids = vocab.encode(text[:TRAIN_CHARS]), vocab.encode(text[TRAIN_CHARS:])
rng = np.random.default_rng(args.seed)
print(f"{len(train_ids):,} training and {len(test_ids):,} held-out characters, {len(vocab)} symbols")


def random_batch(ids):
    starts = rng.integers(0, len(ids) - SEQ - 1, size=BATCH)
    index = starts[:, None] + np.arange(SEQ)[None, :]
    return tr.tensor(ids[index], device=device), tr.tensor(ids[index + 1].reshape(-1), device=device)


# %% [markdown]
# ## Three models that differ only in the recurrent layer
#
# All three are batch_first and return `(output, (h_n, c_n))` as `nn.LSTM` does;
# the two variants take `return_cell_states=True` to hand back every c_t too.

# %%
class CharModel(nn.Module):
    def __init__(self, kind, vocab_size, hidden_size, embedding_dim=32):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        if kind == "LSTM":
            self.rnn = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        elif kind == "LayerNormLSTM":
            self.rnn = nn.LayerNormLSTM(embedding_dim, hidden_size, batch_first=True)
        else:
            self.rnn = nn.VariationalLSTM(embedding_dim, hidden_size, batch_first=True,
                                          input_dropout=0.25, recurrent_dropout=0.25)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids):
        out, _ = self.rnn(self.embed(ids))
        return self.head(out)


def bits_per_char(model, ids, windows=8, window=200):
    model.eval()
    n = min(windows, (len(ids) - 1) // window)
    x = tr.tensor(ids[:n * window].reshape(n, window), device=device)
    y = tr.tensor(ids[1:n * window + 1].reshape(-1), device=device)
    with tr.no_grad():
        nats = nn.functional.cross_entropy(model(x).reshape(-1, len(vocab)), y).item()
    model.train()
    return nats / math.log(2)


# %%
models, curves, rows, results = {}, {}, [], {"bits_per_char": {}, "train_bits_per_char": {}}
for kind in ("LSTM", "LayerNormLSTM", "VariationalLSTM"):
    tr.manual_seed(args.seed)
    model = models[kind] = CharModel(kind, len(vocab), HIDDEN).to(device)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    curves[kind] = []
    with common.Timer() as timer:
        for _ in range(STEPS):
            x, y = random_batch(train_ids)
            loss = nn.functional.cross_entropy(model(x).reshape(-1, len(vocab)), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            curves[kind].append(loss.item() / math.log(2))
    held_out, seen = bits_per_char(model, test_ids), bits_per_char(model, train_ids)
    results["bits_per_char"][kind], results["train_bits_per_char"][kind] = held_out, seen
    rows.append([kind, seen, held_out, held_out - seen, f"{timer.seconds:.0f}s"])
results["first_bits_per_char"] = {kind: c[0] for kind, c in curves.items()}
common.print_table(rows, ["model", "train bits/char", "held-out bits/char", "gap", "time"],
                   f"{STEPS} steps of {BATCH} x {SEQ} characters, hidden {HIDDEN}")

# %% [markdown]
# The gap between training and held-out bits per character is the overfitting.
# In the full run (500 steps, hidden 128, on a 2-core CPU) the layer-normalised
# LSTM learns fastest (held-out 2.78 bits/char against the plain LSTM's 3.10) and
# overfits most (a gap of 1.1); variational dropout has the smallest gap (0.12)
# but, regularised, is still the slowest learner at 500 steps (3.19). The plain
# LSTM runs as one fused op (BPTT by hand); both variants are composite, every
# step recorded, which is what their extra time buys: nothing in them is hidden.

# %%
plt = common.pyplot()
if plt is not None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for kind, bits in curves.items():
        ax.plot(np.convolve(bits, np.ones(10) / 10, mode="valid"), label=kind)
    ax.set_xlabel("step")
    ax.set_ylabel("training bits/char (10-step mean)")
    ax.legend(fontsize="small")
    common.save(fig, args.out, "lstm_variants_loss.png")

# %% [markdown]
# ## What the memory holds: c_t at every step
#
# `return_cell_states=True` gives the layer's c_t for every step (T, batch, H); for
# a plain `nn.LSTMCell`, `nn.unroll(cell, x, return_cell_states=True)` does the same.
# Below, the first eight units of each model's memory while it reads one line of code,
# each panel on its own colour scale (its largest |c_t| beside it): some units count,
# their c_t growing step after step along the line, others switch at particular
# characters (a quote, a newline, an indentation).

# %%
snippet = "    def __init__(self, name, value=None):\n        self.name = name\n"
ids = tr.tensor(vocab.encode(snippet)[None, :], device=device)
memories = {}
with tr.no_grad():
    for kind in ("LayerNormLSTM", "VariationalLSTM"):
        model = models[kind].eval()
        _, _, cells = model.rnn(model.embed(ids), return_cell_states=True)
        memories[kind] = cells.numpy()[0]                              # (T, H)
    plain = models["LSTM"].rnn
    cell = nn.LSTMCell(32, HIDDEN, impl="composite").to(device)        # the fused layer's weights, in a cell
    cell.load_state_dict({k[:-3]: v for k, v in plain.state_dict().items()})
    _, cells, _ = nn.unroll(cell, models["LSTM"].embed(ids).transpose(0, 1), return_cell_states=True)
    memories["LSTM"] = np.stack([c.numpy()[0] for c in cells])
for kind, c in memories.items():
    print(f"{kind:16s} |c_t| mean {np.abs(c).mean():.3f}, max {np.abs(c).max():.2f}")
results["cell_state_max"] = {kind: float(np.abs(c).max()) for kind, c in memories.items()}
if plt is not None:
    fig, axes = plt.subplots(len(memories), 1, figsize=(9, 5), sharex=True)
    for ax, (kind, c) in zip(axes, memories.items()):
        top = float(np.abs(c[:, :8]).max())
        ax.imshow(c[:, :8].T, aspect="auto", cmap="RdBu", vmin=-top, vmax=top)
        ax.set_ylabel(f"{kind}\n|c| <= {top:.1f}", fontsize="small")
    axes[-1].set_xticks(range(len(snippet)))
    axes[-1].set_xticklabels([ch if ch != "\n" else "\\n" for ch in snippet], fontsize=6)
    common.save(fig, args.out, "lstm_variants_cell_states.png")

# %% [markdown]
# ## How far back the gradient reaches
#
# ||dL/dh_t|| for every step, for a loss on the last step only, on fresh
# (untrained) layers: `nn.step_gradient_norms(loss, output)` works on the
# composite variants exactly as on `nn.LSTM`. Layer normalisation rescales
# h_{t-1} W_hh^T to unit variance whatever the size of h, so the gradient is not
# shrunk step after step by the small default weights as in the plain LSTM
# (full run: a ratio of about 1.5 against 4e-9 over 39 steps).

# %%
x = tr.randn(40, 4, 8, device=device)
reach = {}
for kind, layer in (("LSTM", nn.LSTM(8, 32)), ("LayerNormLSTM", nn.LayerNormLSTM(8, 32)),
                    ("VariationalLSTM (eval)", nn.VariationalLSTM(8, 32, recurrent_dropout=0.25).eval())):
    out, _ = layer.to(device)(x)
    norms = nn.step_gradient_norms((out[-1] ** 2).sum(), out)
    reach[kind] = norms[0] / norms[-1]
    print(f"{kind:24s} gradient at step 0 / at step 39: {reach[kind]:.1e}")
results["gradient_reach"] = reach

# %% [markdown]
# ## The drawing reads like the equations
#
# Three unrolled steps of the layer-normalised LSTM: one cluster per step, each
# value named by its symbol (x_t, h_{t-1} W_hh^T, i, f, g, o, c_t, LN(c_t), h_t),
# h_0 and c_0 entering the first step, and W_ih^T, W_hh^T transposed once and
# entering every step.

# %%
small = nn.LayerNormLSTM(2, 3).to(device)
out, _ = small(tr.randn(3, 1, 2, device=device))
common.save_graph(tr.viz.draw_graph(out, params=small), args.out, "layer_norm_lstm_unrolled")
masked = nn.VariationalLSTM(2, 3, recurrent_dropout=0.5).to(device)
out, _ = masked(tr.randn(3, 1, 2, device=device))
common.save_graph(tr.viz.draw_graph(out, params=masked), args.out, "variational_lstm_unrolled")

# %% [markdown]
# ## Pitfall: measuring with the variational masks still on
#
# In training mode a `VariationalLSTM` draws new masks at every forward, so the
# same batch gives a different loss at every call, each that of a model with a
# quarter of its input features and of the h_{t-1} units feeding its gates
# dropped: not the model you will use. Call
# `model.eval()` before measuring (it turns the masks off, and the layer is then
# exactly `nn.LSTM` with the same weights) and `model.train()` after;
# `bits_per_char` above does both.

# %%
model = models["VariationalLSTM"]
x, y = random_batch(test_ids)


def batch_bits():
    with tr.no_grad():
        return nn.functional.cross_entropy(model(x).reshape(-1, len(vocab)), y).item() / math.log(2)


model.train()
noisy = [batch_bits() for _ in range(3)]        # wrong: three draws of the masks, three answers
model.eval()
clean = [batch_bits() for _ in range(2)]        # right: no masks, one answer
plain = nn.LSTM(32, HIDDEN, batch_first=True).to(device)
plain.load_state_dict(model.rnn.state_dict())   # the same parameter names as nn.LSTM
with tr.no_grad():
    embedded = model.embed(x)
    same = float(np.abs(model.rnn(embedded)[0].numpy() - plain(embedded)[0].numpy()).max())
model.train()
print("train mode, the same batch three times:", ", ".join(f"{b:.3f}" for b in noisy), "bits/char")
print("eval mode, twice:                      ", ", ".join(f"{b:.3f}" for b in clean), "bits/char")
print(f"eval mode against nn.LSTM with its weights: outputs differ by at most {same:.1e}")
results["masks_on_vs_off"] = {"train_mode_bits": noisy, "eval_mode_bits": clean, "eval_vs_lstm_max_diff": same}

# %% [markdown]
# ## Exercises
#
# Fill in each `exercise_...` function, then run the last cell: it checks
# every exercise and prints "passed", "unfinished" or "wrong: " and why.
# Worked solutions: `tutorials/solutions/09_lstm_variants.py`.
#
# **1. Layer normalisation by hand.** Given `a` (B, D) and the gain `weight` and
# shift `bias` (D,) as NumPy arrays, return `LN(a) = (a - mean) / sqrt(var + eps)
# * weight + bias`, the mean and variance of each row taken over its D features
# (the biased variance, dividing by D, as the module does).


# %%
def exercise_layer_norm(a, weight, bias, eps):
    raise NotImplementedError("exercise")


def check_layer_norm(fn):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((5, 6)) * 3 + 2
    weight, bias = rng.standard_normal(6), rng.standard_normal(6)
    expected = layer_norm(tr.tensor(a), tr.tensor(weight), tr.tensor(bias), 1e-5).numpy()
    got = np.asarray(fn(a.copy(), weight.copy(), bias.copy(), 1e-5))
    assert got.shape == (5, 6), f"expected shape (5, 6), got {got.shape}"
    assert np.allclose(got, expected, atol=1e-8), \
        f"differs from the module's layer_norm by up to {np.abs(got - expected).max():.3g} " \
        "(each row on its own, over its features, with the variance divided by D?)"


# %% [markdown]
# **2. Variational dropout of a sequence.** Given `x` (T, B, D) and a drop
# probability `p`, return `x` times one mask per sequence: m (B, D), 0 with
# probability p and 1 / (1 - p) otherwise (so the expected value is unchanged),
# drawn once with `rng` and applied at every one of the T steps. What would a
# fresh mask per step do to a memory that must hold a value for many steps? (It
# would cut a different part of what feeds the memory at every step, noise that
# adds up over the steps; one mask cuts the same units all along.)


# %%
def exercise_variational_dropout(x, p, rng):
    raise NotImplementedError("exercise")


def check_variational_dropout(fn):
    rng = np.random.default_rng(5)
    x = rng.uniform(0.5, 1.5, size=(7, 200, 10))
    got = np.asarray(fn(x.copy(), 0.3, np.random.default_rng(6)))
    assert got.shape == x.shape, f"expected shape {x.shape}, got {got.shape}"
    mask = got / x
    assert np.allclose(mask, mask[:1]), "the mask must be the same at every step (drawn once per sequence)"
    kept = mask[0] != 0
    assert np.allclose(mask[0][kept], 1 / 0.7), f"kept values must be scaled by 1 / (1 - p) = {1 / 0.7:.4f}"
    assert abs(kept.mean() - 0.7) < 0.03, f"expected about 70% kept, got {kept.mean():.1%}"
    assert len({tuple(row) for row in kept}) > 100, "every sequence (batch item) needs a mask of its own"


# %% [markdown]
# **3. One layer-normalised LSTM step.** Given `x` (B, I), `h`, `c` (B, H) and
# the cell's parameters as NumPy arrays (`params["weight_ih"]` (4H, I),
# `"weight_hh"` (4H, H), `"bias"`, `"ln_ih_weight"`, `"ln_ih_bias"`,
# `"ln_hh_weight"`, `"ln_hh_bias"` (4H,), `"ln_c_weight"`, `"ln_c_bias"` (H,)),
# return `(h_t, c_t)` from the equations at the top of this tutorial: normalise
# each of the two products on its own, add the bias, split the gates in the
# order i, f, g, o, and normalise c_t where h_t reads it (your exercise 1 helps).


# %%
def exercise_layer_norm_lstm_step(x, h, c, params, eps):
    raise NotImplementedError("exercise")


def check_layer_norm_lstm_step(fn):
    tr.manual_seed(7)
    cell = nn.LayerNormLSTMCell(3, 4).double()
    rng = np.random.default_rng(7)
    params = {name: value.numpy() + rng.standard_normal(value.shape) * 0.5     # gains and shifts away from
              for name, value in cell.state_dict().items()}                   # 1 and 0, so each one counts
    cell.load_state_dict({name: tr.tensor(value) for name, value in params.items()})
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    with tr.no_grad():
        h_t, c_t = (v.numpy() for v in cell(tr.tensor(x), (tr.tensor(h), tr.tensor(c))))
    got_h, got_c = (np.asarray(v) for v in fn(x, h, c, dict(params), cell.eps))
    assert np.allclose(got_c, c_t, atol=1e-8), \
        f"c_t differs from LayerNormLSTMCell's by up to {np.abs(got_c - c_t).max():.3g}"
    assert np.allclose(got_h, h_t, atol=1e-8), \
        f"h_t differs from LayerNormLSTMCell's by up to {np.abs(got_h - h_t).max():.3g} (c_t is right)"


# %%
results["exercises"] = exercise_checks.run(globals())

# %%
common.finish(args, results)

"""Tutorial 4: a character-level language model, truncated BPTT with carried state, sampling, bits per character."""

# %% [markdown]
# # 4. A character-level language model
#
# The model reads text one character at a time and predicts the next one:
#
#     ids (B, T) -> Embedding (B, T, E) -> LSTM (B, T, H) -> Linear (B, T, V)
#     loss = mean cross-entropy of the next character, in nats
#
# It trains on B long streams of text read window by window, carrying the LSTM's
# state from each window into the next: truncated backpropagation through time
# (TBPTT). Bits per character (nats / ln 2) on held-out text is the honest score:
# a model that knew only how often each character occurs (a unigram model) needs
# about 4.4 bits on Python source; everything below that is context the LSTM
# learned. The corpus is the Python standard library's own source (see
# tinygrad_rnn/data/files/README.md); the last 5% is held out.
#
# Run: `python tutorials/04_char_language_model.py [--quick] [--device cuda] [--out DIR]`

# %%
import math

import common
import exercise_checks

import tinygrad_rnn as tr
from tinygrad_rnn import autograd, data, nn, optim
from tinygrad_rnn.backend import np

# %%
args = common.parse_args(__doc__, name="04_char_language_model")
device = common.check_device(args.device)
tr.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
results = {}
print(f"device {device}, quick {args.quick}, figures and results.json in {args.out}")

# %%
text = data.load_stdlib_source()
vocab = data.CharVocab(text)
train_text, test_text = data.split_text(text, held_out=0.05)
train_ids, test_ids = vocab.encode(train_text), vocab.encode(test_text)
if args.quick:
    test_ids = test_ids[:4000]
print(f"{len(text):,} characters, a vocabulary of {len(vocab)}; {len(train_ids):,} to train, "
      f"{len(test_ids):,} held out. It begins:\n{train_text[:160]}")


# %%
class CharModel(nn.Module):
    def __init__(self, vocab_size, hidden_size, embedding_dim=32, dropout=0.25):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.drop = nn.Dropout(dropout)      # active in train(), off after eval()
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        """ids: (B, T) -> logits (B, T, V), and the LSTM's (h_n, c_n) to carry on."""
        out, state = self.lstm(self.embed(ids), state)
        return self.head(self.drop(out)), state


print(CharModel(len(vocab), 128))

# %% [markdown]
# ## Streams: where carrying state makes sense
#
# The training text is cut into B equal streams, one per batch row: row b reads the b-th
# B-th of the text, left to right. Window k takes columns [kT, (k+1)T) of every row, so the
# state after window k of row b is exactly the context that window k+1 of row b continues.
# (Random windows, as one might first write, would carry state into unrelated text.) Each
# new pass over the text starts the streams at a random offset below T, so that the
# window boundaries move from pass to pass.

# %%
hidden, seq_len, batch, steps = (128, 32, 32, 200) if args.quick else (256, 64, 32, 2500)


def streams_from(offset):
    """(B, n) inputs, row b contiguous text, and (B, n) targets, the next character of each."""
    ids = train_ids[offset:]
    n = (len(ids) - 1) // batch
    return ids[:n * batch].reshape(batch, n), ids[1:n * batch + 1].reshape(batch, n), n


streams, targets, n = streams_from(0)
windows_per_pass = (len(train_ids) - seq_len - 1) // batch // seq_len     # whatever the offset
print(f"{batch} streams of {n:,} characters: {windows_per_pass} windows of {seq_len} per pass over the text")
print("row 0 window 0:", repr(vocab.decode(streams[0, :seq_len])))
print("row 0 window 1:", repr(vocab.decode(streams[0, seq_len:2 * seq_len])), "(continues it)")


def window(k):
    cols = slice(k * seq_len, (k + 1) * seq_len)
    return tr.tensor(streams[:, cols], device=device), tr.tensor(targets[:, cols].reshape(-1), device=device)


# %% [markdown]
# ## Pitfall: carrying state without `detach`, and why `retain_graph=True` is the wrong fix
#
# The state returned by window k is the end of window k's graph. Feed it into window k+1 as
# it is and window k+1's loss reaches back into window k's graph, which its own backward
# already freed: the second backward fails. `retain_graph=True` silences that error but is
# wrong: every backward now walks *all* earlier windows' graphs again (step k costs k
# windows of work, and memory holds every graph since the start; without an optimizer step
# it runs, and the graph each loss reaches grows by one window per step), and once the
# optimizer has changed the weights those graphs saved, the version counter refuses the
# very next backward.
# The fix is to cut the graph while keeping the values: `state = nn.detach_state(state)`
# (h.detach(), c.detach()) before each window. The values flow on; the gradient stops at the
# window's start, which is what "truncated" means.

# %%
def carry(k_windows, detach, retain_graph=False, update=True):
    """Train a small model over k windows carrying state; the graph size each loss reaches, or the error."""
    model = CharModel(len(vocab), 16, embedding_dim=8).to(device)
    opt = optim.SGD(model.parameters(), lr=0.1)
    state, sizes = None, []
    for k in range(k_windows):
        if detach:
            state = nn.detach_state(state)
        x, y = window(k)
        logits, state = model(x, state)
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), y)
        sizes.append(len(autograd.topological_order(loss.grad_fn)))
        opt.zero_grad()
        try:
            loss.backward(retain_graph=retain_graph)
        except tr.GraphError as e:
            return sizes, f"window {k}: {e}"
        if update:
            opt.step()
    return sizes, None


for label, kwargs in (("no detach", dict(detach=False)),
                      ("no detach, retain_graph=True", dict(detach=False, retain_graph=True)),
                      ("no detach, retain_graph=True, no update", dict(detach=False, retain_graph=True, update=False)),
                      ("detach_state (TBPTT)", dict(detach=True))):
    sizes, error = carry(4, **kwargs)
    print(f"{label}: nodes each loss reaches {sizes}" + (f"\n    GraphError at {error}" if error else ", runs"))
    results[f"carry: {label}"] = {"graph_nodes": sizes, "error": error}

# %% [markdown]
# ## Training with truncated BPTT
#
# One step = one window of every stream: detach the carried state, forward T steps from
# it, backpropagate those T steps, clip, update. After a pass over the text the state
# starts again from zeros, at a new offset. Dropout on the LSTM's output is the
# regulariser: the full run reads the 177,000 training characters about 29 times, and
# without dropout and offsets it learned them by heart (about 1 bit/char on its training
# batches, 2.1 on held-out text; with both, 1.9 held out).
# `nn.truncated_bptt(model, x, k, loss_fn, state, optimizer)` is the same loop over one
# long sequence x: (T, B, ...) cut into chunks of k steps.

# %%
model = CharModel(len(vocab), hidden).to(device)
opt = optim.Adam(model.parameters(), lr=3e-3)
losses, state = [], None
with common.Timer() as timer:
    for step in range(steps):
        k = step % windows_per_pass
        if k == 0 and step:
            streams, targets, _ = streams_from(int(rng.integers(seq_len)))
        state = None if k == 0 else nn.detach_state(state)
        x, y = window(k)
        logits, state = model(x, state)
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item() / math.log(2))
print(f"{steps} steps in {timer.seconds:.0f}s: {losses[0]:.2f} -> {losses[-1]:.2f} bits/char on the training batch")

# %% [markdown]
# ## Bits per character
#
# The held-out text is read in long consecutive windows, the state carried from
# one window to the next (no graph to cut: under `no_grad` none is recorded), so
# every character is predicted from all the text before it. `model.eval()` first: dropout
# is for training only.

# %%
def bits_per_char(model, ids, window=256):
    total, count, state = 0.0, 0, None
    with tr.no_grad():
        for start in range(0, len(ids) - 1, window):
            x = ids[start:start + window]
            y = ids[start + 1:start + window + 1]
            x = x[:len(y)]
            logits, state = model(tr.tensor(x[None, :], device=device), state)
            nats = nn.functional.cross_entropy(logits[0], tr.tensor(y, device=device), reduction="sum")
            total, count = total + nats.item(), count + len(y)
    return total / count / math.log(2)


model.eval()
model_bits = bits_per_char(model, test_ids)
counts = np.bincount(train_ids, minlength=len(vocab)) + 1.0      # add-one smoothing
unigram = float(-np.log2(counts[test_ids] / counts.sum()).mean())
common.print_table([["uniform over the vocabulary", math.log2(len(vocab))], ["unigram (character counts)", unigram],
                    [f"LSTM({hidden}), {steps} TBPTT steps", model_bits]],
                   ["model", "held-out bits/char"], f"Character model on {len(test_ids):,} held-out characters")
results["bits_per_char"], results["unigram_bits_per_char"] = model_bits, unigram

# %% [markdown]
# ## Sampling with temperature
#
# p_i = softmax(logits / temperature)_i: temperature < 1 sharpens the distribution
# (safer, more repetitive text), > 1 flattens it (more surprising, more mistakes).

# %%
def sample(model, prime, n_chars, temperature):
    with tr.no_grad():
        logits, state = model(tr.tensor(vocab.encode(prime)[None, :], device=device))
        out = []
        for _ in range(n_chars):
            p = (logits[0, -1] / temperature).softmax(axis=-1).numpy().astype(np.float64)
            out.append(int(rng.choice(len(p), p=p / p.sum())))
            logits, state = model(tr.tensor(np.array([[out[-1]]]), device=device), state)
    return prime + vocab.decode(out)


for temperature in (0.5, 1.0, 1.5):
    print(f"--- temperature {temperature} ---")
    print(sample(model, "def ", 80 if args.quick else 200, temperature), "\n")

# %%
plt = common.pyplot()
if plt is not None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(losses, lw=0.8, label="training (batch)")
    ax.axhline(unigram, color="C1", ls="--", label=f"unigram, held out ({unigram:.2f})")
    ax.axhline(model_bits, color="C2", ls=":", label=f"LSTM, held out ({model_bits:.2f})")
    ax.set_xlabel("step")
    ax.set_ylabel("bits per character")
    ax.legend()
    common.save(fig, args.out, "char_model_bits.png")

# %% [markdown]
# ## Exercises
#
# Fill in each `exercise_...` function, then run the cell at the end: it calls each
# `check_...` on your function and says "passed", "unfinished" or what was wrong.
# Worked solutions: `tutorials/solutions/04_char_language_model.py`.
#
# **1. Temperature.** Write `exercise_temperature_probs(logits, temperature)`: the
# probabilities softmax(logits / temperature) of a 1-D NumPy array, computed so that
# large logits (1000 and more) do not overflow.

# %%
def exercise_temperature_probs(logits, temperature):
    raise NotImplementedError("exercise")


def check_temperature_probs(fn):
    logits = np.array([2.0, 1.0, 0.1, -1.0])
    for temperature in (0.5, 1.0, 2.0):
        want = tr.tensor(logits / temperature).softmax(dim=-1).numpy()
        got = np.asarray(fn(logits, temperature))
        assert np.allclose(got, want), f"temperature_probs(T={temperature}): {got}, expected {want}"
    big = np.asarray(fn(np.array([1000.0, 999.0]), 1.0))
    assert np.all(np.isfinite(big)) and np.allclose(big, [1 / (1 + math.exp(-1)), 1 / (1 + math.e)]), \
        "temperature_probs: logits of 1000 overflow (subtract the largest logit first)"


# %% [markdown]
# **2. Bits per character.** Write `exercise_bits_per_char(logits, targets)`: logits
# (N, V) NumPy, targets (N,) integer ids; return the mean of -log2 p(target), a float.

# %%
def exercise_bits_per_char(logits, targets):
    raise NotImplementedError("exercise")


def check_bits_per_char(fn):
    rng = np.random.default_rng(7)
    logits, targets = rng.standard_normal((50, 6)) * 3, rng.integers(0, 6, size=50)
    nats = nn.functional.cross_entropy(tr.tensor(logits), tr.tensor(targets)).item()
    got = float(fn(logits, targets))
    assert math.isclose(got, nats / math.log(2), rel_tol=1e-9), \
        f"bits_per_char: {got:.6f}, expected {nats / math.log(2):.6f} (cross-entropy in nats / ln 2)"


# %% [markdown]
# **3. Streams for carried state.** Write `exercise_streams(ids, batch, seq_len)`: cut the
# 1-D array `ids` into `batch` contiguous streams and return the list of (inputs, targets)
# windows, each two (batch, seq_len) arrays, such that row b of window k+1 continues row b
# of window k and targets are the inputs shifted by one character. Drop what does not fill
# a whole window.

# %%
def exercise_streams(ids, batch, seq_len):
    raise NotImplementedError("exercise")


def check_streams(fn):
    ids = np.arange(103)
    got = list(fn(ids, 4, 5))
    assert len(got) == 5, f"streams(103 ids, batch 4, seq_len 5): {len(got)} windows, expected 5 " \
                          "(each stream has 25 characters with a next one)"
    for k, (x, y) in enumerate(got):
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape == (4, 5), f"streams: window {k} has shapes {x.shape}, {y.shape}, expected (4, 5)"
        assert np.array_equal(y, x + 1), f"streams: window {k}'s targets are not the next characters"
        if k:
            assert np.array_equal(x[:, 0], np.asarray(got[k - 1][0])[:, -1] + 1), \
                f"streams: window {k} does not continue window {k - 1} row by row"
    assert len(set(np.asarray(got[0][0])[:, 0])) == 4, "streams: the rows must start at different places"


# %%
results["exercises"] = exercise_checks.run(globals())

# %%
common.finish(args, results)

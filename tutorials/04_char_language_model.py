"""Tutorial 4: a character-level language model, sampling with temperature, bits per character."""

# %% [markdown]
# # 4. A character-level language model
#
# The model reads text one character at a time and predicts the next one:
#
#     ids (B, T) -> Embedding (B, T, E) -> LSTM (B, T, H) -> Linear (B, T, V)
#     loss = mean cross-entropy of the next character, in nats
#
# Bits per character (nats / ln 2) on held-out text is the honest score: a model
# that knew only how often each character occurs (a unigram model) needs about
# 4.4 bits on Python source; everything below that is context the LSTM learned.
# The corpus is the Python standard library's own source (see
# tinygrad_rnn/data/files/README.md); the last 5% is held out.
#
# Run: `python tutorials/04_char_language_model.py [--quick] [--device cuda] [--out DIR]`

# %%
import math

import common

import tinygrad_rnn as tr
from tinygrad_rnn import data, nn, optim
from tinygrad_rnn.backend import np


# %%
class CharModel(nn.Module):
    def __init__(self, vocab_size, hidden_size, embedding_dim=32):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        out, state = self.lstm(self.embed(ids), state)
        return self.head(out), state


# %% [markdown]
# ## Sampling with temperature
#
# p_i = softmax(logits / temperature)_i: temperature < 1 sharpens the distribution
# (safer, more repetitive text), > 1 flattens it (more surprising, more mistakes).


# %%
def sample(model, vocab, prime, n_chars, temperature, device, rng):
    with tr.no_grad():
        logits, state = model(tr.tensor(vocab.encode(prime)[None, :], device=device))
        out = []
        for _ in range(n_chars):
            p = (logits[0, -1] / temperature).softmax(axis=-1).numpy().astype(np.float64)
            out.append(int(rng.choice(len(p), p=p / p.sum())))
            logits, state = model(tr.tensor(np.array([[out[-1]]]), device=device), state)
    return prime + vocab.decode(out)


# %% [markdown]
# ## Bits per character
#
# The held-out text is read in long consecutive windows, the state carried from
# one window to the next, so every character is predicted from all the text before it.


# %%
def bits_per_char(model, ids, device, window=256):
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


def unigram_bits_per_char(train_ids, test_ids, vocab_size):
    counts = np.bincount(train_ids, minlength=vocab_size) + 1.0      # add-one smoothing
    return float(-np.log2(counts[test_ids] / counts.sum()).mean())


# %%
def main(argv=None):
    args = common.parse_args(__doc__, argv, name="04_char_language_model")
    device = common.check_device(args.device)
    tr.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    text = data.load_stdlib_source()
    vocab = data.CharVocab(text)
    train_text, test_text = data.split_text(text, held_out=0.05)
    train_ids, test_ids = vocab.encode(train_text), vocab.encode(test_text)
    if args.quick:
        test_ids = test_ids[:4000]
    hidden, seq_len, batch, steps = (128, 32, 32, 200) if args.quick else (256, 64, 32, 2500)

    model = CharModel(len(vocab), hidden).to(device)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    with common.Timer() as timer:
        for _ in range(steps):
            starts = rng.integers(0, len(train_ids) - seq_len - 1, size=batch)
            index = starts[:, None] + np.arange(seq_len)
            logits, _ = model(tr.tensor(train_ids[index], device=device))
            loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)),
                                               tr.tensor(train_ids[index + 1].reshape(-1), device=device))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.item() / math.log(2))

    model_bits = bits_per_char(model, test_ids, device)
    unigram = unigram_bits_per_char(train_ids, test_ids, len(vocab))
    common.print_table([["uniform over the vocabulary", math.log2(len(vocab))], ["unigram (character counts)", unigram],
                        [f"LSTM({hidden}), {steps} steps, {timer.seconds:.0f}s", model_bits]],
                       ["model", "held-out bits/char"], f"Character model on {len(test_ids):,} held-out characters")

    for temperature in (0.5, 1.0, 1.5):
        print(f"--- temperature {temperature} ---")
        print(sample(model, vocab, "def ", 200 if not args.quick else 80, temperature, device, rng), "\n")

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
    return common.finish(args, {"bits_per_char": model_bits, "unigram_bits_per_char": unigram})


# %%
if __name__ == "__main__":
    main()

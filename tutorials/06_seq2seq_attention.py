"""Tutorial 6: sequence to sequence with attention, beam search and attention heatmaps."""

# %% [markdown]
# # 6. Sequence to sequence with attention: reversing and sorting digit strings
#
# An encoder reads the source digits; a decoder writes the output one token at
# a time, and at every step attends over the encoder's states:
#
#     memory = BiGRU(embed(src))                                   (B, S, 2H)
#     s_t = GRUCell([embed(y_{t-1}), a_{t-1}], s_{t-1})            (B, H)
#     w_t = softmax_s(v^T tanh(W_q s_t + W_k memory_s))            (B, S)   additive attention
#     a_t = tanh(W_c [sum_s w_t,s memory_s, s_t])                  (B, H)
#     p(y_t | y_<t, src) = softmax(W_o a_t)
#
# Training uses teacher forcing (the decoder reads the true previous token).
# Decoding is greedy or by beam search (keep the k best partial outputs). For
# reversal the attention weights form an anti-diagonal: output step t looks at
# source position S - t. Exact match by chance is about 10^-length.
#
# Run: `python tutorials/06_seq2seq_attention.py [--quick] [--device cuda] [--out DIR]`.
# In a notebook, `%env TUTORIAL_QUICK=1` in a first cell gives the quick run.

# %%
import common
import exercise_checks

import tinygrad_rnn as tr
from tinygrad_rnn import data, nn, optim, viz
from tinygrad_rnn.backend import np
from tinygrad_rnn.seq2seq.digits import BOS, EOS, OFFSET, decode_digits, encode_digits, make_digit_model

# %%
args = common.parse_args(__doc__, name="06_seq2seq_attention")
device = common.check_device(args.device)
tr.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
MIN_LEN, MAX_LEN = (3, 6) if args.quick else (3, 8)
STEPS = {"reverse": 200, "sort": 150} if args.quick else {"reverse": 1200, "sort": 1500}
HIDDEN = 32 if args.quick else 64
N_TEST = 200 if args.quick else 1000
# test strings come from their own generator; with 10^3..10^10 possible strings a
# training batch rarely repeats one, and the table reports exact match on unseen data
test_rng = np.random.default_rng(10_000 + args.seed)
print(f"device {device}; strings of {MIN_LEN}-{MAX_LEN} digits; steps {STEPS}; hidden size {HIDDEN}")

# %% [markdown]
# ## A batch
#
# Tokens: PAD 0, BOS 1, EOS 2, digit d -> d + 3. Sources are padded to the
# longest in the batch and come with their lengths (the encoder skips the pads,
# the attention never looks at them); each target ends with EOS.

# %%
src, tgt = data.digit_sequences(3, MIN_LEN, MAX_LEN, task="reverse", rng=np.random.default_rng(1))
batch = encode_digits(src, tgt)
for s, t in zip(src, tgt):
    print("".join(map(str, s)), "->", "".join(map(str, t)))
print("src tokens:\n", batch.src.numpy(), "\nlengths:", batch.lengths, "\ntarget tokens:\n", batch.target.numpy())


# %% [markdown]
# ## Training and decoding
#
# `model.loss` runs the decoder with teacher forcing: its input at step t is the
# true token t-1 (BOS first), and the loss is the cross-entropy of every target
# token. At test time the decoder reads its own previous output instead.


# %%
def exact_match(model, sources, targets, beam_width=1):
    """Fraction of sources decoded exactly into their targets (greedy when beam_width is 1), and the hypotheses."""
    model.eval()
    batch = encode_digits(sources, device=device)
    max_len = batch.src.shape[1] + 2
    if beam_width > 1:
        hyps = model.beam_search(batch.src, batch.lengths, beam_width=beam_width, max_len=max_len)
    else:
        hyps = model.greedy(batch.src, batch.lengths, max_len=max_len)
    model.train()
    right = [h.tokens == [int(d) + OFFSET for d in t] for h, t in zip(hyps, targets)]
    return float(np.mean(right)), hyps


def train(task, steps, batch_size=64):
    model = make_digit_model(embed_size=32, hidden_size=HIDDEN).to(device)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    # halve the rate every 300 steps: at a constant rate exact match keeps
    # flickering between 95 and 99% as single digits flip
    schedule = optim.lr_scheduler.ExponentialLR(opt, 0.5 ** (1 / 300))
    losses = []
    for _ in range(steps):
        src, tgt = data.digit_sequences(batch_size, MIN_LEN, MAX_LEN, task=task, rng=rng)
        batch = encode_digits(src, tgt, device=device)
        loss = model.loss(batch.src, batch.target, batch.lengths)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()
        losses.append(loss.item())
    return model, losses


rows, results, models, curves = [], {}, {}, {}
for task in ("reverse", "sort"):
    test_src, test_tgt = data.digit_sequences(N_TEST, MIN_LEN, MAX_LEN, task=task, rng=test_rng)
    with common.Timer() as timer:
        models[task], curves[task] = train(task, STEPS[task])
    greedy, _ = exact_match(models[task], test_src, test_tgt)
    beam, _ = exact_match(models[task], test_src, test_tgt, beam_width=4)
    results[task] = {"greedy": greedy, "beam": beam}
    rows.append([task, STEPS[task], greedy, beam, f"{timer.seconds:.0f}s"])
    print(f"{task}: exact match {greedy:.3f} greedy, {beam:.3f} beam 4 ({timer.seconds:.0f}s)")
common.print_table(rows, ["task", "steps", "exact match, greedy", "exact match, beam 4", "train time"],
                   f"Digit strings of length {MIN_LEN}-{MAX_LEN}, {N_TEST} unseen test strings "
                   f"(chance < {10.0 ** -MIN_LEN:g})")

# %% [markdown]
# ## Two strings decoded by beam search

# %%
examples = [np.array(d) for d in ([3, 1, 4, 1, 5, 9], [2, 7, 1, 8, 2, 8, 1, 8][:MAX_LEN])]
for task, model in models.items():
    _, hyps = exact_match(model, examples, examples, beam_width=4)
    for src, h in zip(examples, hyps):
        print(f"{task:8s} {''.join(map(str, src))} -> {decode_digits(h.tokens)}")

# %% [markdown]
# ## Where the decoder looks
#
# Each row of a heatmap is one output step's attention weights over the source.
# Reversal gives an anti-diagonal; sorting looks at where the next digit is.

# %%
plt = common.pyplot()
if plt is not None:
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), gridspec_kw={"width_ratios": [1.4, 1, 1]})
    for task, losses in curves.items():
        axes[0].semilogy(np.convolve(losses, np.ones(20) / 20, mode="valid"), label=task)
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("cross-entropy per token")
    axes[0].legend()
    for ax, (task, model) in zip(axes[1:], models.items()):
        src = examples[1]
        _, (h,) = exact_match(model, [src], [src], beam_width=4)
        outputs = list(decode_digits(h.tokens)) + ["<eos>"]
        viz.attention_heatmap(h.attention, source_tokens=list(src), target_tokens=outputs[:len(h.attention)],
                              title=f"attention, {task}", ax=ax)
    common.save(fig, args.out, "seq2seq_attention.png")

# %% [markdown]
# ## Exercises
#
# Fill in each `exercise_...` function, then run the last cell: it checks
# every exercise and prints "passed", "unfinished" or "wrong: " and why.
# Worked solutions: `tutorials/solutions/06_seq2seq_attention.py`.
#
# **1. Teacher forcing's inputs.** Given the target tokens (B, T) as a NumPy
# int array (digits, then EOS, then PAD), return the decoder's inputs: BOS,
# then the target shifted right by one (its last column dropped).


# %%
def exercise_decoder_inputs(target, bos):
    raise NotImplementedError("exercise")


def check_decoder_inputs(fn):
    target = encode_digits([np.array([4, 0, 9]), np.array([1, 2])], [np.array([9, 0, 4]), np.array([2, 1])]).target
    target = target.numpy()
    got = fn(target, BOS)
    expected = np.array([[BOS, 12, 3, 7], [BOS, 5, 4, EOS]])
    assert np.asarray(got).shape == target.shape, f"expected shape {target.shape}, got {np.asarray(got).shape}"
    assert (np.asarray(got) == expected).all(), f"expected\n{expected}\ngot\n{got}"


# %% [markdown]
# **2. Attention weights over a padded source.** Given the scores (B, S) (one
# number per source position, as `v^T tanh(W_q s_t + W_k memory_s)` gives) and
# the source lengths (B,), return softmax over the real positions, with weight
# exactly 0 on the padding. Hint: set the padded scores to -inf first; and
# subtract the row's largest score before `exp` so that it cannot overflow.


# %%
def exercise_masked_softmax(scores, lengths):
    raise NotImplementedError("exercise")


def check_masked_softmax(fn):
    scores = np.array([[1.0, 2.0, 3.0, 40.0], [1000.0, 1000.0, -5.0, 7.0]])
    got = fn(scores.copy(), np.array([3, 2]))
    got = np.asarray(got)
    first = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    expected = np.array([[*first, 0.0], [0.5, 0.5, 0.0, 0.0]])
    assert np.isfinite(got).all(), f"weights must be finite (subtract the row maximum before exp), got\n{got}"
    assert np.allclose(got, expected), f"expected\n{expected.round(4)}\ngot\n{got.round(4)}"


# %% [markdown]
# **3. One step of beam search.** `scores` (k,) are the log-probabilities of
# the k hypotheses so far, `log_probs` (k, V) each one's next-token
# log-probabilities. Return the `width` best continuations as a list of
# `(score, hypothesis index, token)`, best first: the score of a continuation is
# `scores[i] + log_probs[i, token]`. (Greedy decoding is width 1 with k = 1.)


# %%
def exercise_beam_step(scores, log_probs, width):
    raise NotImplementedError("exercise")


def check_beam_step(fn):
    rng = np.random.default_rng(6)
    scores = np.log([0.5, 0.3, 0.2])
    log_probs = np.log(rng.dirichlet(np.ones(5), size=3))
    got = fn(scores, log_probs, 4)
    every = sorted(((scores[i] + log_probs[i, t], i, t) for i in range(3) for t in range(5)), reverse=True)
    got = [(float(s), int(i), int(t)) for s, i, t in got]
    assert len(got) == 4, f"expected 4 continuations, got {len(got)}"
    assert [(i, t) for _, i, t in got] == [(i, t) for _, i, t in every[:4]], \
        f"expected (hypothesis, token) {[(i, t) for _, i, t in every[:4]]}, got {[(i, t) for _, i, t in got]}"
    assert np.allclose([s for s, _, _ in got], [s for s, _, _ in every[:4]]), "scores: add the hypothesis's score"


# %%
results["exercises"] = exercise_checks.run(globals())

# %%
common.finish(args, results)

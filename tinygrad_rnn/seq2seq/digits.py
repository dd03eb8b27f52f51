"""The digit-string toy tasks for sequence to sequence: reverse (or sort) a string of digits.

    "40913" -> "31904" (reverse)   "40913" -> "01349" (sort)

Token ids: PAD 0, BOS 1, EOS 2, digit d -> d + 3 (VOCAB_SIZE 13). The strings
come from `tinygrad_rnn.data.digit_sequences`. `train_digit_task` trains a
small attention model until greedy decoding gets `target_accuracy` exact
matches on held-out strings (never drawn for training); the tutorial calls
`train_reversal`.
"""

import time
from collections import namedtuple

from .. import backend
from ..creation import tensor
from ..data import digit_sequences, pad_sequences
from ..nn.utils import clip_grad_norm_
from ..optim import Adam
from ..optim.lr_scheduler import ExponentialLR
from .decoder import Decoder
from .encoder import Encoder
from .model import Seq2Seq

PAD, BOS, EOS, OFFSET = 0, 1, 2, 3
VOCAB_SIZE = OFFSET + 10

DigitBatch = namedtuple("DigitBatch", ["src", "lengths", "target"])
TrainResult = namedtuple("TrainResult", ["model", "accuracy", "steps", "seconds", "losses", "accuracies"])


def encode_digits(sources, targets=None, device=None):
    """Lists of digit arrays -> DigitBatch: src (batch, S) tokens padded with PAD, lengths (batch,),
    target (batch, T) = the target digits then EOS, padded (None without targets)."""
    np = backend.np
    src, lengths = pad_sequences([np.asarray(s, dtype=np.int64) + OFFSET for s in sources], pad_value=PAD)
    target = None
    if targets is not None:
        rows = [np.append(np.asarray(t, dtype=np.int64) + OFFSET, EOS) for t in targets]
        target = tensor(pad_sequences(rows, pad_value=PAD)[0], device=device)
    return DigitBatch(tensor(src, device=device), lengths, target)


def decode_digits(tokens):
    """Output tokens -> the digit string ("?" for a special token where a digit should be)."""
    return "".join(str(t - OFFSET) if t >= OFFSET else "?" for t in tokens)


def make_digit_model(embed_size=32, hidden_size=64, attention="additive", rnn="gru", bidirectional=True,
                     input_feeding=True):
    """A Seq2Seq model for the digit tasks: bidirectional encoder, attention decoder of the same width."""
    encoder = Encoder(VOCAB_SIZE, embed_size, hidden_size, rnn=rnn, bidirectional=bidirectional,
                      padding_idx=PAD)
    cell = rnn if rnn in ("rnn", "gru", "lstm") else "gru"
    decoder = Decoder(VOCAB_SIZE, embed_size, hidden_size, encoder.output_size, attention=attention, cell=cell,
                      input_feeding=input_feeding, padding_idx=PAD)
    return Seq2Seq(encoder, decoder, bos=BOS, eos=EOS, pad=PAD)


def exact_match(model, sources, targets, batch_size=500, beam_width=1):
    """Fraction of sources whose decoded output (greedy, or beam search when beam_width > 1) equals the target."""
    was_training = model.training
    model.eval()
    right = 0
    for start in range(0, len(sources), batch_size):
        batch = encode_digits(sources[start:start + batch_size], device=model.device)
        max_len = batch.src.shape[1] + 2
        if beam_width > 1:
            outputs = model.beam_search(batch.src, batch.lengths, beam_width=beam_width, max_len=max_len)
        else:
            outputs = model.greedy(batch.src, batch.lengths, max_len=max_len)
        for hyp, target in zip(outputs, targets[start:start + batch_size]):
            right += hyp.tokens == [int(d) + OFFSET for d in target]
    model.train(was_training)
    return right / len(sources)


def train_digit_task(task="reverse", min_len=3, max_len=8, steps=3000, batch_size=64, lr=3e-3, lr_half_life=300,
                     n_test=1000, eval_every=100, target_accuracy=0.99, teacher_forcing=1.0, clip=1.0, seed=0,
                     log=print, model=None, **model_kwargs):
    """Train on freshly drawn strings until held-out greedy exact match >= target_accuracy (or `steps`).

    Adam at `lr`, halved every `lr_half_life` steps (exponentially; None keeps it
    constant): the decay settles the last few percent of exact matches, which
    at a constant rate keep flickering between 95 and 99%.

    Returns TrainResult(model, accuracy, steps, seconds, losses, accuracies):
    the last held-out accuracy, the steps taken, wall seconds, the loss per
    step and (step, accuracy) at each evaluation. model_kwargs go to
    make_digit_model (embed_size, hidden_size, attention, rnn, ...).
    """
    np = backend.np
    backend.manual_seed(seed)
    rng = np.random.default_rng(seed)
    test_src, test_tgt = digit_sequences(n_test, min_len, max_len, task=task, rng=rng)
    held_out = {tuple(s) for s in test_src}
    model = make_digit_model(**model_kwargs) if model is None else model
    optimizer = Adam(model.parameters(), lr=lr)
    schedule = None if lr_half_life is None else ExponentialLR(optimizer, 0.5 ** (1 / lr_half_life))
    losses, accuracies, accuracy = [], [], 0.0
    start, step = time.perf_counter(), 0
    for step in range(1, steps + 1):
        src, tgt = digit_sequences(batch_size, min_len, max_len, task=task, rng=rng)
        keep = [i for i, s in enumerate(src) if tuple(s) not in held_out]
        batch = encode_digits([src[i] for i in keep], [tgt[i] for i in keep], device=model.device)
        loss = model.loss(batch.src, batch.target, batch.lengths, teacher_forcing=teacher_forcing)
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if schedule is not None:
            schedule.step()
        losses.append(loss.item())
        if step % eval_every == 0 or step == steps:
            accuracy = exact_match(model, test_src, test_tgt)
            accuracies.append((step, accuracy))
            if log:
                log(f"step {step:5d}  loss {np.mean(losses[-eval_every:]):.4f}  held-out exact match "
                    f"{accuracy:.3f}  ({time.perf_counter() - start:.0f} s)")
            if accuracy >= target_accuracy:
                break
    return TrainResult(model, accuracy, step, time.perf_counter() - start, losses, accuracies)


def train_reversal(**kwargs):
    """train_digit_task(task="reverse", ...): learn to reverse digit strings to 99% held-out exact match."""
    return train_digit_task(task="reverse", **kwargs)

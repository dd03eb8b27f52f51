"""Host<->device traffic of one training step on CUDA, counted by the strict CuPy stand-in.

A GPU runs ahead of Python only while nothing reads a value back: every read
(item(), bool(), int(), a copy to the host) waits for all the work queued
before it. So a training step reads back only what the user asks for (here
`loss.item()`) and copies up only its batch. The stand-in
(../shared/strict_cupy, see its README) counts each read-back and each
host->device copy per call site; these tests pin those counts for the demo's
step, a seq2seq step and a padded batch through a recurrent layer. They run
only under the stand-in (their names say cuda, so CI's `-k cuda` run picks them).
"""

import collections

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import data, nn, optim
from tinygrad_rnn.demo import CharLSTM, random_windows
from tinygrad_rnn.seq2seq.digits import encode_digits, make_digit_model

cupy = pytest.importorskip("cupy", reason="counting syncs needs the strict CuPy stand-in on PYTHONPATH")
if not getattr(cupy, "IS_FAKE", False) or not hasattr(cupy, "_stats") or not tr.cuda_available():
    pytest.skip("counting syncs needs the strict CuPy stand-in (PYTHONPATH=../shared/strict_cupy)",
                allow_module_level=True)



@pytest.fixture(autouse=True)
def _count_the_callers_of_tensor(monkeypatch):
    """tr.tensor (creation.py) copies up for its caller: name the caller, as the stand-in does for the
    backend's and Tensor's own plumbing."""
    monkeypatch.setattr(cupy, "_PLUMBING", tuple(cupy._PLUMBING) + ("/creation.py",))


def traffic(step, warmup=2):
    """{site: count} of the read-backs, of the copies up and of anything else the stand-in counted, for one
    call of step() after `warmup` calls (the first ones also make the optimizer's state)."""
    for _ in range(warmup):
        step()
    before = collections.Counter(cupy._stats)
    step()
    counts = collections.Counter(cupy._stats)
    counts.subtract(before)
    reads, copies, other = {}, {}, {}
    for (kind, site), n in counts.items():
        if n:
            group = reads if kind.startswith(("sync", "d2h")) else copies if kind.startswith("h2d") else other
            group[f"{kind} at {site}"] = n
    return reads, copies, other


def by_file(counts):
    """Counts summed per file of the call site (line numbers move as code changes)."""
    files = collections.Counter()
    for where, n in counts.items():
        files[where.split(" at ")[1].split(" <- ")[-1].split(":")[0]] += n
    return dict(files)


def demo_step():
    """The demo's training step (tinygrad_rnn/demo.py) at a small size."""
    tr.manual_seed(0)
    rng = np.random.default_rng(0)
    text = data.load_stdlib_source(max_chars=20_000)
    vocab = data.CharVocab(text)
    ids = vocab.encode(text)
    model = CharLSTM(len(vocab), 16, embedding_dim=8).to("cuda")
    optimizer = optim.Adam(model.parameters(), lr=1e-3)

    def step():
        x, y = random_windows(ids, 4, 8, rng)
        logits, _ = model(tr.tensor(x, device="cuda"))
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), tr.tensor(y.reshape(-1), device="cuda"))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()
    return step


def seq2seq_step(teacher_forcing):
    """A step of train_digit_task (tinygrad_rnn/seq2seq/digits.py) on a fixed batch of lengths 5, 3, 4, 5."""
    tr.manual_seed(0)
    model = make_digit_model(embed_size=8, hidden_size=8).to("cuda")
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    sources = [np.array([1, 2, 3, 4, 5]), np.array([6, 7, 8]), np.array([9, 0, 1, 2]), np.array([3, 4, 5, 6, 7])]

    def step():
        batch = encode_digits(sources, [s[::-1] for s in sources], device="cuda")
        loss = model.loss(batch.src, batch.target, batch.lengths, teacher_forcing=teacher_forcing)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()
    return step


def test_the_demo_step_on_cuda_reads_back_only_the_loss_and_copies_up_only_its_batch():
    reads, copies, other = traffic(demo_step())
    assert by_file(reads) == {"tests/test_device_syncs.py": 1}, reads     # loss.item()
    assert by_file(copies) == {"tests/test_device_syncs.py": 2}, copies   # the batch's inputs and targets
    assert other == {}


@pytest.mark.parametrize("teacher_forcing", [1.0, 0.5])
def test_a_seq2seq_step_on_cuda_reads_back_only_the_loss(teacher_forcing):
    reads, copies, other = traffic(seq2seq_step(teacher_forcing))
    assert by_file(reads) == {"tests/test_device_syncs.py": 1}, reads     # loss.item()
    assert by_file(copies) == {
        "tinygrad_rnn/seq2seq/digits.py": 2,             # the batch: source and target tokens
        "tinygrad_rnn/nn/attention/masks.py": 1,         # the attention's padding mask, from the host lengths
        "tinygrad_rnn/nn/sequence_checks.py": 1,         # the encoder's lengths, for its step masks
    }, copies                                            # and no Python scalar operand: the engine caches them
    assert other == {}


def test_a_padded_batch_on_cuda_copies_its_lengths_up_once_per_forward_whatever_its_length():
    tr.manual_seed(0)
    gru = nn.GRU(3, 4, num_layers=2, bidirectional=True).to("cuda")
    x = tr.randn(9, 4, 3, device="cuda")
    lengths = np.array([9, 2, 5, 7])

    def step():
        out, _ = gru(x, lengths=lengths)
        out.sum().backward()
    reads, copies, other = traffic(step)
    assert reads == {} and other == {}
    assert by_file(copies) == {"tinygrad_rnn/nn/sequence_checks.py": 1}, copies


def test_dropout_in_a_step_on_cuda_draws_on_the_gpu():
    tr.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5).to("cuda")
    x = tr.randn(5, 2, 3, device="cuda")

    def step():
        out, _ = lstm(nn.functional.dropout(x, 0.3))
        out.sum().backward()
    reads, copies, other = traffic(step)
    assert reads == {} and copies == {} and other == {}

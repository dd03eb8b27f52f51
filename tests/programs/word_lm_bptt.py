"""A word-level LSTM language model trained with truncated BPTT (after PyTorch's
word_language_model example: batchify, get_batch, repackage_hidden, a hand-written SGD step)."""

import numpy as np

import tinygrad_rnn as torch
import tinygrad_rnn.nn as nn
import tinygrad_rnn.nn.functional as F

NTOKEN, BPTT = 17, 7


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers):
        super().__init__()
        self.ntoken = ntoken
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nlayers, self.nhid = nlayers, nhid

    def forward(self, input, hidden):
        emb = self.encoder(input)
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (torch.zeros(self.nlayers, bsz, self.nhid, dtype=weight.dtype),
                torch.zeros(self.nlayers, bsz, self.nhid, dtype=weight.dtype))


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.2, 0.2, size=tuple(p.shape))))


def corpus(n, seed):
    """Token ids from a random Markov chain, so there is something to learn."""
    rng = np.random.default_rng(seed)
    transition = rng.dirichlet(np.full(NTOKEN, 0.3), size=NTOKEN)
    ids = [0]
    for _ in range(n - 1):
        ids.append(int(rng.choice(NTOKEN, p=transition[ids[-1]])))
    return torch.tensor(ids)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def get_batch(source, i):
    seq_len = min(BPTT, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def repackage_hidden(h):
    """Cut the hidden state from the graph of the previous window."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def main(epochs=2):
    train_data = batchify(corpus(300, 0), 5)
    model = RNNModel(NTOKEN, 8, 16, 2).double()
    init_weights(model, 1)
    criterion = nn.NLLLoss()
    lr, clip = 2.0, 0.25
    losses = []
    for _ in range(epochs):
        model.train()
        hidden = model.init_hidden(5)
        for i in range(0, train_data.size(0) - 1, BPTT):
            data, targets = get_batch(train_data, i)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            losses.append(loss.item())
        lr /= 2.0
    return losses


if __name__ == "__main__":
    print(main())

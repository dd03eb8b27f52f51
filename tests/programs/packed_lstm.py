"""Variable-length sequences through a bidirectional LSTM as packed batches: pad_sequence,
pack_padded_sequence (unsorted lengths), pad_packed_sequence, the last real step of each sequence."""

import numpy as np

import tinygrad_rnn as torch
import tinygrad_rnn.nn as nn
from tinygrad_rnn.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence


class Tagger(nn.Module):
    """Per-step tags from the padded output, and a sequence label from h_n of both directions."""

    def __init__(self, input_size, hidden_size, num_tags, num_labels):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers=2, bidirectional=True, batch_first=True)
        self.tags = nn.Linear(2 * hidden_size, num_tags)
        self.label = nn.Linear(2 * hidden_size, num_labels)

    def forward(self, sequences):
        lengths = torch.tensor([len(s) for s in sequences])
        padded = pad_sequence(sequences, batch_first=True)
        packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
        out, (h_n, _) = self.lstm(packed)
        out, out_lengths = pad_packed_sequence(out, batch_first=True)
        last = torch.cat([h_n[-2], h_n[-1]], dim=1)           # the top layer, forward and backward
        return self.tags(out), out_lengths, self.label(last)


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, size=tuple(p.shape))))


def main(steps=6):
    rng = np.random.default_rng(5)
    lengths = [7, 3, 5, 1, 6, 4]
    sequences = [torch.from_numpy(rng.standard_normal((n, 4))) for n in lengths]
    tags = [torch.from_numpy(rng.integers(0, 3, size=n)) for n in lengths]
    labels = torch.tensor([int(s.sum().item() > 0) for s in sequences])

    model = Tagger(4, 8, 3, 2).double()
    init_weights(model, 11)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    tag_loss = nn.CrossEntropyLoss(ignore_index=-100)
    label_loss = nn.CrossEntropyLoss()
    target = pad_sequence(tags, batch_first=True, padding_value=-100)  # padding is ignored by the loss
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        scores, out_lengths, label_scores = model(sequences)
        assert out_lengths.tolist() == lengths
        loss = tag_loss(scores.reshape(-1, 3), target.reshape(-1)) + label_loss(label_scores, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


if __name__ == "__main__":
    print(main())

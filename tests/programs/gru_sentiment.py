"""A sentiment classifier as the text-classification posts write it: a vocabulary dict, token ids
padded to a batch with 0 and nn.Embedding(padding_idx=0), a GRU over pack_padded_sequence, the
final hidden state through nn.Linear to one logit, nn.BCEWithLogitsLoss, accuracy from
torch.sigmoid(...).round(), and the usual reshaping (.view(-1), .squeeze(1), .permute, .contiguous)."""

import numpy as np

import tinygrad_rnn as torch
import tinygrad_rnn.nn as nn
import tinygrad_rnn.nn.functional as F
from tinygrad_rnn.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

reviews = [("a great movie with great acting", 1), ("boring and far too long", 0),
           ("i loved every minute", 1), ("the plot was a mess", 0), ("great fun", 1),
           ("terrible acting and a boring plot", 0), ("loved it", 1), ("too long and a mess", 0)]


def build_vocab(texts):
    vocab = {"<pad>": 0, "<unk>": 1}
    for text in texts:
        for word in text.split():
            if word not in vocab:
                vocab[word] = len(vocab)
    return vocab


def encode(text, vocab):
    return [vocab.get(word, vocab["<unk>"]) for word in text.split()]


def collate(batch, vocab):
    """Sort by length (longest first), pad with 0, return ids (T, B), lengths and labels."""
    batch = sorted(batch, key=lambda item: len(item[0].split()), reverse=True)
    ids = [encode(text, vocab) for text, _ in batch]
    lengths = torch.tensor([len(s) for s in ids])
    padded = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long)
    for i, seq in enumerate(ids):
        padded[i, :len(seq)] = torch.tensor(seq)
    labels = torch.tensor([label for _, label in batch], dtype=torch.float64)
    return padded.permute(1, 0).contiguous(), lengths, labels


class SentimentGRU(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_dim, output_dim=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.rnn = nn.GRU(embedding_dim, hidden_dim, bidirectional=True)
        self.fc = nn.Linear(hidden_dim * 2, output_dim)

    def forward(self, text, text_lengths):
        embedded = self.embedding(text)                                    # (T, B, E)
        packed = pack_padded_sequence(embedded, text_lengths.cpu())
        packed_output, hidden = self.rnn(packed)
        output, output_lengths = pad_packed_sequence(packed_output)        # (T, B, 2H)
        assert torch.equal(output_lengths, text_lengths)
        hidden = torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)  # (B, 2H)
        return self.fc(hidden)


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, size=tuple(p.shape))))
        model.embedding.weight[model.embedding.padding_idx].fill_(0)


def binary_accuracy(preds, y):
    rounded_preds = torch.round(torch.sigmoid(preds))
    correct = (rounded_preds == y).float()
    return correct.sum() / len(correct)


def main(epochs=6):
    vocab = build_vocab(text for text, _ in reviews)
    model = SentimentGRU(len(vocab), 8, 10).double()
    init_weights(model, 7)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    criterion = nn.BCEWithLogitsLoss()
    batches = [reviews[:4], reviews[4:]]
    losses = []
    for _ in range(epochs):
        model.train()
        epoch_loss, epoch_acc = 0.0, 0.0
        for batch in batches:
            text, lengths, labels = collate(batch, vocab)
            optimizer.zero_grad()
            predictions = model(text, lengths).squeeze(1)
            loss = criterion(predictions, labels)
            acc = binary_accuracy(predictions, labels)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
            epoch_acc += acc.item()
        losses.append(epoch_loss / len(batches))
    assert model.embedding.weight.grad[0].abs().sum().item() == 0     # padding never learns

    model.eval()
    with torch.no_grad():
        text, lengths, labels = collate(reviews, vocab)
        logits = model(text, lengths).view(-1)
        probs = torch.stack([1 - torch.sigmoid(logits), torch.sigmoid(logits)], dim=1)
        predicted = torch.argmax(probs, dim=1)
        accuracy = (predicted == labels.long()).float().mean().item()
        losses.append(F.binary_cross_entropy_with_logits(logits, labels, reduction="sum").item())
        losses.append(F.binary_cross_entropy(torch.sigmoid(logits), labels).item())
    assert 0 <= accuracy <= 1
    return losses


if __name__ == "__main__":
    print(main())

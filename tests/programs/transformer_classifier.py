"""A Transformer encoder classifying padded token sequences: embedding scaled by sqrt(d_model),
sinusoidal positions, a key-padding mask, the first position's output read out, AdamW."""

import math

import numpy as np

import tinygrad_rnn as torch
import tinygrad_rnn.nn as nn
import tinygrad_rnn.optim as optim

PAD, VOCAB, D_MODEL = 0, 12, 16


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=32):
        super().__init__()
        position = torch.arange(max_len, dtype=torch.double).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.double) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model, dtype=torch.double)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.pe = pe

    def forward(self, x):
        return x + self.pe[:x.size(0)]


class TransformerClassifier(nn.Module):
    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, nclass):
        super().__init__()
        self.embedding = nn.Embedding(ntoken, d_model)
        self.pos_encoder = PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout=0.0, activation="gelu")
        self.transformer_encoder = nn.TransformerEncoder(layer, nlayers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, nclass)
        self.d_model = d_model

    def forward(self, src, src_key_padding_mask):
        x = self.pos_encoder(self.embedding(src) * math.sqrt(self.d_model))
        x = self.transformer_encoder(x, src_key_padding_mask=src_key_padding_mask)
        return self.head(x[0])


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.normal(0.0, 0.3, size=tuple(p.shape))))


def make_batch(rng, batch, max_len):
    """(S, N) token ids padded with PAD; the label says whether token 1 occurs."""
    lengths = rng.integers(3, max_len + 1, batch)
    tokens = np.full((max_len, batch), PAD, dtype=np.int64)
    for j, n in enumerate(lengths):
        tokens[:n, j] = rng.integers(1, VOCAB, n)
    labels = (tokens == 1).any(axis=0).astype(np.int64)
    return torch.from_numpy(tokens), torch.from_numpy(labels)


def main(steps=8):
    rng = np.random.default_rng(0)
    model = TransformerClassifier(VOCAB, D_MODEL, 2, 32, 2, 2).double()
    init_weights(model, 1)
    optimizer = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for _ in range(steps):
        src, labels = make_batch(rng, 8, 10)
        padding_mask = (src == PAD).t()
        optimizer.zero_grad()
        loss = criterion(model(src, padding_mask), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


if __name__ == "__main__":
    print(main())

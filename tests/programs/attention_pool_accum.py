"""An LSTM encoder with attention pooling and the habits of larger training scripts: a buffer
(register_buffer) for positions, LayerNorm, dropout switched off by model.eval(), attention scores
with torch.einsum and masked_fill on padding, torch.where, x.new_zeros, gradient accumulation over
micro-batches, clip_grad_norm_, optimizer.zero_grad(set_to_none=True), and AdamW with a
LambdaLR warm-up."""

import math

import numpy as np

import tinygrad_rnn as torch
import tinygrad_rnn.nn as nn
import tinygrad_rnn.nn.functional as F


class AttentionPool(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.query = nn.Parameter(torch.zeros(dim))
        self.scale = 1.0 / math.sqrt(dim)

    def forward(self, h, mask):
        # h: (B, T, D), mask: (B, T) True at padding
        scores = torch.einsum("btd,d->bt", h, self.query) * self.scale
        scores = scores.masked_fill(mask, float("-inf"))
        weights = F.softmax(scores, dim=-1)
        return torch.einsum("bt,btd->bd", weights, h), weights


class Encoder(nn.Module):
    def __init__(self, input_dim, hidden_dim, num_classes, max_len=32, dropout=0.1):
        super().__init__()
        position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
        self.register_buffer("positions", torch.sin(position / max_len * math.pi) * 0.1)
        self.proj = nn.Linear(input_dim + 1, hidden_dim)
        self.norm = nn.LayerNorm(hidden_dim)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(hidden_dim, hidden_dim, batch_first=True)
        self.pool = AttentionPool(hidden_dim)
        self.head = nn.Linear(hidden_dim, num_classes)

    def forward(self, x, lengths):
        B, T, _ = x.shape
        steps = torch.arange(T).unsqueeze(0).expand(B, T)
        mask = steps >= lengths.unsqueeze(1)                             # (B, T), True at padding
        pos = self.positions[:T].unsqueeze(0).expand(B, T, 1)
        x = torch.where(mask.unsqueeze(-1), x.new_zeros(()), x)          # zero the padding
        h = self.dropout(torch.relu(self.norm(self.proj(torch.cat([x, pos], dim=-1)))))
        h, _ = self.lstm(h)
        pooled, weights = self.pool(h, mask)
        return self.head(self.dropout(pooled)), weights


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("norm."):
                continue                                                  # LayerNorm keeps ones and zeros
            p.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, size=tuple(p.shape))))


def make_batch(rng, batch, T, dim):
    lengths = rng.integers(3, T + 1, size=batch)
    x = rng.standard_normal((batch, T, dim))
    y = (x[:, :, 0].sum(axis=1) > 0).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(lengths), torch.from_numpy(y)


def main(steps=5):
    rng = np.random.default_rng(9)
    model = Encoder(3, 8, 2).double()
    init_weights(model, 10)
    assert "positions" in model.state_dict() and "positions" not in dict(model.named_parameters())
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 3))
    criterion = nn.CrossEntropyLoss()
    accumulation_steps = 2
    batches = [make_batch(rng, 4, 6, 3) for _ in range(2 * accumulation_steps)]

    losses = []
    for _ in range(steps):
        model.eval()                     # dropout off: its draws differ between libraries
        optimizer.zero_grad(set_to_none=True)
        running = 0.0
        for i, (x, lengths, y) in enumerate(batches):
            logits, weights = model(x, lengths)
            assert torch.allclose(weights.sum(dim=-1), torch.ones(len(x), dtype=torch.float64))
            loss = criterion(logits, y) / accumulation_steps
            loss.backward()
            running += loss.item()
            if (i + 1) % accumulation_steps == 0:
                total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
                assert math.isfinite(float(total_norm))
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
        scheduler.step()
        losses.append(running / (len(batches) / accumulation_steps))

    model.eval()
    with torch.no_grad():
        x, lengths, y = batches[0]
        logits, weights = model(x, lengths)
        assert (weights[torch.arange(6).unsqueeze(0) >= lengths.unsqueeze(1)] == 0).all()
        accuracy = (logits.argmax(dim=1) == y).float().mean().item()
        losses.append(criterion(logits, y).item())
    assert 0.0 <= accuracy <= 1.0
    return losses


if __name__ == "__main__":
    print(main())

"""Knowledge distillation for a small sequence classifier, written with the pieces newer PyTorch
code reaches for: the seed-and-device boilerplate (torch.backends.cudnn flags), pretrained word
vectors through nn.Embedding.from_pretrained(freeze=False), sequences padded with F.pad, a GRU
followed by F.scaled_dot_product_attention under a padding mask, nn.ModuleDict heads built as
nn.Sequential(OrderedDict(...)) with LeakyReLU and GELU, F.normalize'd features, and the loss
alpha * T^2 * KLDivLoss(batchmean) on softened logits + (1 - alpha) * cross-entropy."""

import random
from collections import OrderedDict

import numpy as np

import tinygrad_rnn as torch
import tinygrad_rnn.nn as nn
import tinygrad_rnn.nn.functional as F


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


class Student(nn.Module):
    def __init__(self, vectors, hidden, num_classes, pad_id=0):
        super().__init__()
        self.pad_id = pad_id
        self.embedding = nn.Embedding.from_pretrained(vectors, freeze=False, padding_idx=pad_id)
        self.gru = nn.GRU(vectors.size(1), hidden, batch_first=True)
        self.heads = nn.ModuleDict({
            "logits": nn.Sequential(OrderedDict([
                ("fc1", nn.Linear(hidden, hidden)),
                ("act", nn.LeakyReLU(0.1)),
                ("drop", nn.Dropout(0.1)),
                ("fc2", nn.Linear(hidden, num_classes)),
            ])),
            "features": nn.Sequential(nn.Linear(hidden, 4), nn.GELU()),
        })

    def forward(self, ids):
        mask = ids != self.pad_id                                        # (B, T) True at real tokens
        h, _ = self.gru(self.embedding(ids))                             # (B, T, H)
        attn_mask = mask[:, None, :] & mask[:, :, None]                  # (B, T, T)
        attn_mask = attn_mask | torch.eye(ids.size(1), dtype=torch.bool)  # padding rows see themselves
        ctx = F.scaled_dot_product_attention(h, h, h, attn_mask=attn_mask)
        pooled = (ctx * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
        return self.heads["logits"](pooled), F.normalize(self.heads["features"](pooled), dim=-1)


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name != "embedding.weight":
                p.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, size=tuple(p.shape))))


def pad_batch(seqs, pad_id=0):
    longest = max(len(s) for s in seqs)
    return torch.stack([F.pad(torch.tensor(s), (0, longest - len(s)), value=pad_id) for s in seqs])


def main(steps=6, T=2.0, alpha=0.7):
    set_seed(0)
    rng = np.random.default_rng(12)
    vocab, dim, classes = 12, 6, 3
    vectors = torch.from_numpy(rng.standard_normal((vocab, dim)))
    vectors[0] = 0.0                                                     # the padding vector
    seqs = [list(rng.integers(1, vocab, size=n)) for n in (5, 3, 4, 2, 5, 1)]
    ids = pad_batch(seqs)
    labels = torch.tensor([int(sum(s) % classes) for s in seqs])
    teacher_logits = torch.from_numpy(rng.standard_normal((len(seqs), classes)) * 2)

    model = Student(vectors, 8, classes).double()
    init_weights(model, 13)
    model.eval()                                                         # dropout off: draws differ
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    kl = nn.KLDivLoss(reduction="batchmean")
    ce = nn.CrossEntropyLoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        logits, features = model(ids)
        soft = kl(F.log_softmax(logits / T, dim=-1), F.softmax(teacher_logits / T, dim=-1)) * T * T
        loss = alpha * soft + (1 - alpha) * ce(logits, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        assert torch.allclose(features.norm(dim=-1), torch.ones(len(seqs), dtype=torch.float64))
    assert model.embedding.weight.grad[0].abs().sum().item() == 0       # the padding row never learns
    return losses


if __name__ == "__main__":
    print(main())

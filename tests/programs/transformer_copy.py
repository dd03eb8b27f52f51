"""nn.Transformer (encoder and decoder, batch_first) learning to copy digit strings: the target
is shifted right behind a start token and masked with generate_square_subsequent_mask."""

import numpy as np

import tinygrad_rnn as torch
import tinygrad_rnn.nn as nn
import tinygrad_rnn.optim as optim

BOS, VOCAB, D_MODEL, LENGTH = 0, 10, 16, 6


class Seq2SeqTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.src_embed = nn.Embedding(VOCAB, D_MODEL)
        self.tgt_embed = nn.Embedding(VOCAB, D_MODEL)
        self.position = nn.Embedding(LENGTH + 1, D_MODEL)
        self.transformer = nn.Transformer(d_model=D_MODEL, nhead=4, num_encoder_layers=1, num_decoder_layers=2,
                                          dim_feedforward=32, dropout=0.0, batch_first=True, norm_first=True)
        self.generator = nn.Linear(D_MODEL, VOCAB)

    def forward(self, src, tgt_in):
        positions = torch.arange(src.size(1))
        src_x = self.src_embed(src) + self.position(positions)
        tgt_x = self.tgt_embed(tgt_in) + self.position(torch.arange(tgt_in.size(1)))
        tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1), dtype=torch.double)
        out = self.transformer(src_x, tgt_x, tgt_mask=tgt_mask)
        return self.generator(out)


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                p.copy_(torch.from_numpy(rng.normal(0.0, 0.25, size=tuple(p.shape))))
            elif name.endswith("bias"):
                p.zero_()


def main(steps=8):
    rng = np.random.default_rng(0)
    model = Seq2SeqTransformer().double()
    init_weights(model, 1)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for _ in range(steps):
        digits = rng.integers(1, VOCAB, (10, LENGTH))
        src = torch.from_numpy(digits)
        tgt_in = torch.from_numpy(np.concatenate([np.full((10, 1), BOS), digits[:, :-1]], axis=1))
        optimizer.zero_grad()
        logits = model(src, tgt_in)
        loss = criterion(logits.reshape(-1, VOCAB), src.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


if __name__ == "__main__":
    print(main())

"""A GRU sequence classifier fed by a DataLoader over a TensorDataset, trained with Adam."""

import numpy as np

import tinygrad_rnn as torch
import tinygrad_rnn.nn as nn
import tinygrad_rnn.optim as optim
from tinygrad_rnn.utils.data import DataLoader, TensorDataset


class Classifier(nn.Module):
    def __init__(self, input_size, hidden_size, num_classes):
        super().__init__()
        self.gru = nn.GRU(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        _, h_n = self.gru(x)
        return self.fc(h_n[-1])


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.4, 0.4, size=tuple(p.shape))))


def main(epochs=3):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((70, 9, 3))
    y = (x[:, :, 0].sum(axis=1) > 0).astype(np.int64) + (x[:, -1, 1] > 1).astype(np.int64)
    dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    order = rng.permutation(len(dataset)).tolist()  # a fixed shuffle, the same in every library
    loader = DataLoader(dataset, batch_size=16, sampler=order, drop_last=True)

    model = Classifier(3, 10, 3).double()
    init_weights(model, 3)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


if __name__ == "__main__":
    print(main())

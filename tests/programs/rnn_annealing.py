"""An nn.RNN regression on a noisy sum task: SGD with momentum whose lr the program anneals by
writing into optimizer.param_groups, then a StepLR schedule; gradients zeroed in place
(zero_grad(set_to_none=False)) and clipped by value."""

import numpy as np

import tinygrad_rnn as torch
import tinygrad_rnn.nn as nn
import tinygrad_rnn.optim as optim


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(2, 12, num_layers=2, nonlinearity="tanh")
        self.readout = nn.Linear(12, 1)

    def forward(self, x):
        output, _ = self.rnn(x)
        return self.readout(output[-1]).squeeze(-1)


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, size=tuple(p.shape))))


def main(steps=12):
    rng = np.random.default_rng(0)
    model = Regressor().double()
    init_weights(model, 4)
    optimizer = optim.SGD(model.parameters(), lr=0.2, momentum=0.8)
    criterion = nn.MSELoss()
    losses = []
    for step in range(steps):
        x = rng.uniform(-1, 1, (8, 16, 2))               # (T, N, 2)
        y = x[:, :, 0].mean(axis=0) * x[-1, :, 1]
        if step < steps // 2:
            for group in optimizer.param_groups:         # warm-up, written by hand
                group["lr"] = 0.2 * (step + 1) / (steps // 2)
        optimizer.zero_grad(set_to_none=False)
        loss = criterion(model(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        nn.utils.clip_grad_value_(model.parameters(), 0.5)
        optimizer.step()
        losses.append(loss.item())
        if step == steps // 2 - 1:
            scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        elif step >= steps // 2:
            scheduler.step()
    return losses


if __name__ == "__main__":
    print(main())

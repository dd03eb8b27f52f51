"""An LSTM time-series forecaster as the blog posts write it: sliding windows over a series
(unfold, and torch.stack of slices), a train/validation split, nn.MSELoss, Adam with a
StepLR schedule, model.eval() + torch.no_grad() for validation, and the
best state_dict kept with torch.save / torch.load through an io.BytesIO."""

import copy
import io

import numpy as np

import tinygrad_rnn as torch
import tinygrad_rnn.nn as nn


class LSTMForecaster(nn.Module):
    def __init__(self, input_size=1, hidden_size=16, num_layers=2, output_size=1, dropout=0.0):
        super().__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True, dropout=dropout)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size, dtype=x.dtype, device=x.device)
        c0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size, dtype=x.dtype, device=x.device)
        out, _ = self.lstm(x, (h0, c0))
        out = self.fc(out[:, -1, :])
        return out


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "bias" in name:
                nn.init.zeros_(p)
            else:
                p.copy_(torch.from_numpy(rng.uniform(-0.25, 0.25, size=tuple(p.shape))))


def create_sequences(data, seq_length):
    xs, ys = [], []
    for i in range(len(data) - seq_length):
        xs.append(data[i:i + seq_length])
        ys.append(data[i + seq_length])
    return torch.stack(xs), torch.stack(ys)


def main(epochs=8):
    rng = np.random.default_rng(2)
    t = np.linspace(0, 8 * np.pi, 120)
    series = torch.from_numpy(np.sin(t) + 0.1 * rng.standard_normal(t.shape))
    series = (series - series.mean()) / series.std()           # normalise as the posts do

    seq_length = 10
    X, y = create_sequences(series, seq_length)
    windows = series.unfold(0, seq_length + 1, 1)               # the same windows, built another way
    assert torch.equal(windows[:, :-1], X) and torch.allclose(windows[:, -1], y)
    X, y = X.unsqueeze(-1), y.unsqueeze(-1)                      # (N, seq_length, 1), (N, 1)
    train_size = int(len(X) * 0.8)
    X_train, X_val = X[:train_size], X[train_size:]
    y_train, y_val = y[:train_size], y[train_size:]

    model = LSTMForecaster().double()
    init_weights(model, 6)
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)

    best_val, best_state = float("inf"), None
    losses = []
    batch_size = 32
    for _ in range(epochs):
        model.train()
        epoch_loss = 0.0
        for i in range(0, len(X_train), batch_size):
            xb, yb = X_train[i:i + batch_size], y_train[i:i + batch_size]
            optimizer.zero_grad()
            outputs = model(xb)
            loss = criterion(outputs, yb)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item() * xb.size(0)
        scheduler.step()
        losses.append(epoch_loss / len(X_train))

        model.eval()
        with torch.no_grad():
            val_loss = criterion(model(X_val), y_val).item()
        losses.append(val_loss)
        if val_loss < best_val:
            best_val = val_loss
            best_state = copy.deepcopy(model.state_dict())

    buffer = io.BytesIO()
    torch.save(best_state, buffer)
    buffer.seek(0)
    restored = LSTMForecaster().double()
    restored.load_state_dict(torch.load(buffer))
    restored.eval()
    with torch.no_grad():
        predictions = restored(X_val)
        losses.append(torch.mean((predictions - y_val) ** 2).item())
    assert abs(losses[-1] - best_val) < 1e-12
    assert scheduler.last_epoch == epochs and scheduler.get_last_lr() == [optimizer.param_groups[0]["lr"]]
    return losses


if __name__ == "__main__":
    print(main())

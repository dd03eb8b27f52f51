"""The classic "classifying names with a character-level RNN": a hand-written RNN cell (torch.cat of
input and hidden, nn.LogSoftmax(dim=1)), one-hot letters built by item assignment, nn.NLLLoss, a
manual SGD step p.data.add_(p.grad.data, alpha=-lr), and topk for the prediction; float64 through
torch.set_default_dtype."""

import string

import numpy as np

import tinygrad_rnn as torch
import tinygrad_rnn.nn as nn

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)


def letter_to_index(letter):
    return all_letters.find(letter)


def letter_to_tensor(letter):
    tensor = torch.zeros(1, n_letters)
    tensor[0][letter_to_index(letter)] = 1
    return tensor


def line_to_tensor(line):
    """A name as a <line_length x 1 x n_letters> one-hot tensor."""
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letter_to_index(letter)] = 1
    return tensor


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.i2o(combined)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.1, 0.1, size=tuple(p.shape))))


all_categories = ["English", "French", "Italian"]
names = [("Smith", "English"), ("Walker", "English"), ("Dubois", "French"), ("Laurent", "French"),
         ("Rossi", "Italian"), ("Bianchi", "Italian"), ("Brown", "English"), ("Moreau", "French")]


def category_from_output(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


def main(epochs=3):
    torch.set_default_dtype(torch.float64)  # every tensor and parameter below is float64
    try:
        return run(epochs)
    finally:
        torch.set_default_dtype(torch.float32)


def run(epochs):
    n_hidden = 16
    rnn = RNN(n_letters, n_hidden, len(all_categories))
    init_weights(rnn, 3)
    criterion = nn.NLLLoss()
    learning_rate = 0.05

    def train(category_tensor, line_tensor):
        hidden = rnn.initHidden()
        rnn.zero_grad()
        for i in range(line_tensor.size()[0]):
            output, hidden = rnn(line_tensor[i], hidden)
        loss = criterion(output, category_tensor)
        loss.backward()
        for p in rnn.parameters():  # add parameters' gradients to their values, times the lr
            p.data.add_(p.grad.data, alpha=-learning_rate)
        return output, loss.item()

    losses = []
    for _ in range(epochs):
        current_loss = 0
        correct = 0
        for line, category in names:
            category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
            line_tensor = line_to_tensor(line)
            output, loss = train(category_tensor, line_tensor)
            current_loss += loss
            guess, guess_i = category_from_output(output)
            correct += guess == category
        losses.append(current_loss / len(names))
    assert letter_to_tensor("b").sum().item() == 1
    with torch.no_grad():  # evaluate as the tutorial's predict()
        output, hidden = None, rnn.initHidden()
        line_tensor = line_to_tensor("Rossi")
        for i in range(line_tensor.size(0)):
            output, hidden = rnn(line_tensor[i], hidden)
        topv, topi = output.topk(3, 1, True)
        assert sorted(topi[0].tolist()) == [0, 1, 2]
        losses.append(-topv[0][0].item())
    return losses


if __name__ == "__main__":
    print(main())

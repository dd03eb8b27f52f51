"""Tutorial 7: sequence classification with a bidirectional GRU and padded variable-length batches."""

# %% [markdown]
# # 7. Sequence classification with a bidirectional GRU and padded batches
#
# Sequences of different lengths are batched by padding each batch to its
# longest member (`data.SequenceLoader`), and the true lengths are handed to the
# recurrent layer: padded steps then neither change the state nor produce output,
# and h_n is each sequence's state at its own last step (PyTorch's packed
# sequences give the same numbers).
#
# The task (`data.first_last_match`): is a sequence's first symbol equal to its
# last? A left-to-right reader must carry the first symbol through the whole
# sequence; a bidirectional GRU runs a second GRU right to left, so between them
# both ends are fresh:
#
#     h_fwd = GRU over x_1..x_L, h_bwd = GRU over x_L..x_1     (B, H) each
#     logits = Linear([h_fwd, h_bwd])                          (B, 2)
#
# We compare the bidirectional GRU with lengths against a one-directional GRU,
# and against the same bidirectional GRU that ignores the lengths (it reads the
# pads as if they were symbols, so its backward half starts at the padding).
#
# Run: `python tutorials/07_bidirectional_classification.py [--quick] [--device cuda] [--out DIR]`

# %%
import common

import tinygrad_rnn as tr
from tinygrad_rnn import data, nn, optim
from tinygrad_rnn.backend import np

N_SYMBOLS = 4


# %%
class Classifier(nn.Module):
    def __init__(self, hidden_size, bidirectional, use_lengths=True):
        super().__init__()
        self.embed = nn.Embedding(N_SYMBOLS + 1, 16, padding_idx=0)     # id 0 is the padding
        self.gru = nn.GRU(16, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), 2)
        self.use_lengths = use_lengths

    def forward(self, tokens, lengths):
        _, h_n = self.gru(self.embed(tokens), lengths=lengths if self.use_lengths else None)
        # h_n: (directions, B, H); join the directions side by side
        return self.head(tr.concat([h_n[i] for i in range(h_n.shape[0])], axis=-1))


def accuracy(model, loader):
    right = total = 0
    with tr.no_grad():
        for batch in loader:
            guess = model(batch.inputs, batch.lengths).numpy().argmax(axis=-1)
            right += int((guess == batch.targets.numpy()).sum())
            total += len(guess)
    return right / total


# %%
def main(argv=None):
    args = common.parse_args(__doc__, argv, name="07_bidirectional_classification")
    device = common.check_device(args.device)
    tr.manual_seed(args.seed)
    n_train, epochs, hidden, max_len = (1500, 6, 24, 16) if args.quick else (6000, 8, 48, 30)
    train_x, train_y = data.first_last_match(n_train, N_SYMBOLS, min_len=4, max_len=max_len)
    test_x, test_y = data.first_last_match(1000, N_SYMBOLS, min_len=4, max_len=max_len)
    test = data.SequenceLoader(test_x, test_y, batch_size=250, shuffle=False, device=device)

    variants = {"GRU, one direction, lengths": dict(bidirectional=False),
                "bidirectional GRU, lengths": dict(bidirectional=True),
                "bidirectional GRU, pads read as data": dict(bidirectional=True, use_lengths=False)}
    rows, curves, results = [], {}, {}
    for name, options in variants.items():
        tr.manual_seed(args.seed)
        model = Classifier(hidden, **options).to(device)
        opt = optim.Adam(model.parameters(), lr=1e-2)
        train = data.SequenceLoader(train_x, train_y, batch_size=32, shuffle=True, device=device)
        curves[name] = []
        with common.Timer() as timer:
            for _ in range(epochs):
                for batch in train:
                    loss = nn.functional.cross_entropy(model(batch.inputs, batch.lengths), batch.targets)
                    opt.zero_grad()
                    loss.backward()
                    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                    opt.step()
                    curves[name].append(loss.item())
                results[name] = accuracy(model, test)
        rows.append([name, results[name], f"{timer.seconds:.0f}s"])
    rows.append(["chance", 0.5, "-"])
    common.print_table(rows, ["model", "test accuracy", "time"],
                       f"first symbol == last symbol? lengths {4}-{max_len}, {epochs} epochs of {n_train}")

    plt = common.pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for name, losses in curves.items():
            ax.plot(np.convolve(losses, np.ones(20) / 20, mode="valid"), label=f"{name} ({results[name]:.0%})")
        ax.set_xlabel("step")
        ax.set_ylabel("training cross-entropy (20-step mean)")
        ax.legend(fontsize="small")
        common.save(fig, args.out, "classification_curves.png")
    return common.finish(args, results)


# %%
if __name__ == "__main__":
    main()

"""The exercises of every tutorial: each check passes its worked solution, reads an unfilled stub
as unfinished, and fails a plausible wrong answer (so a learner's check can be trusted both ways);
the conventions are tutorials/exercise_checks.py's."""

import sys
from pathlib import Path

import numpy as np
import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
sys.path.insert(0, str(TUTORIALS))

import exercise_checks  # noqa: E402  (tutorials/ is not a package)

NAMES = sorted(p.name for p in TUTORIALS.glob("[0-9][0-9]_*.py"))
T05, T06, T07, T08, T09 = NAMES[4:9]
SOLUTIONS_09 = exercise_checks.solutions(T09)


# ---- tutorials 1-4 ------------------------------------------------------------------------------

def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _relu_bptt_one_step(xs, W_ih, W_hh, b):
    """Backpropagates through the last step only (forgets that h_{T-1} depends on W_hh too)."""
    h = np.zeros((xs.shape[1], W_hh.shape[0]))
    for x in xs[:-1]:
        h = np.maximum(x @ W_ih.T + b + h @ W_hh.T, 0)
    da = (xs[-1] @ W_ih.T + b + h @ W_hh.T > 0).astype(float)
    return da.T @ xs[-1], da.T @ h, da.sum(axis=0)


def _set_input_gate_bias(lstm, value):
    import tinygrad_rnn as tr
    with tr.no_grad():
        lstm.bias_ih_l0[:lstm.hidden_size] = value
        lstm.bias_hh_l0[:lstm.hidden_size] = 0.0


def _lstm_cell_gates_ifog(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """The gates read in the order i, f, o, g (another library's) instead of PyTorch's i, f, g, o."""
    i, f, o, g = np.split(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh, 4, axis=1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c), c


def _nats_per_char(logits, targets):
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(targets)), targets].mean())


def _random_windows(ids, batch, seq_len):
    rng = np.random.default_rng(0)
    n = (len(ids) - 1) // batch // seq_len
    out = []
    for _ in range(n):
        starts = rng.integers(0, len(ids) - seq_len - 1, size=batch)
        index = starts[:, None] + np.arange(seq_len)
        out.append((ids[index], ids[index + 1]))
    return out


# ---- tutorials 5-8 ------------------------------------------------------------------------------

def _softmax(scores):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _gru_backward_without_reset_gate_path(x, h, weight_ih, weight_hh, bias_ih, bias_hh, g):
    """A hand-written GRU backward with one classic slip: r's factor on h W_hn^T + b_hn left out."""
    def sigmoid(a):
        return 1 / (1 + np.exp(-a))
    gi_r, gi_z, gi_n = np.split(x @ weight_ih.T + bias_ih, 3, axis=1)
    gh_r, gh_z, gh_n = np.split(h @ weight_hh.T + bias_hh, 3, axis=1)
    r, z = sigmoid(gi_r + gh_r), sigmoid(gi_z + gh_z)
    n = np.tanh(gi_n + r * gh_n)
    da_n = g * (1 - z) * (1 - n * n)
    da_r, da_z = da_n * gh_n * r * (1 - r), g * (h - n) * z * (1 - z)
    d_gi = np.concatenate([da_r, da_z, da_n], axis=1)
    d_gh = d_gi                                                   # the slip: should be [da_r, da_z, da_n * r]
    return d_gi @ weight_ih, g * z + d_gh @ weight_hh, d_gi.T @ x, d_gh.T @ h, d_gi.sum(0), d_gh.sum(0)


def _beam_step_without_prefix(scores, log_probs, width):
    """Ranks the continuations by the new token's log-probability alone, forgetting each prefix's score."""
    best = np.argsort(log_probs, axis=None)[::-1][:width]
    return [(float(log_probs[i, t]), i, t) for i, t in zip(*np.unravel_index(best, log_probs.shape))]


# ---- tutorial 9 ---------------------------------------------------------------------------------

def _layer_norm_unbiased(a, weight, bias, eps):
    """Divides the squared deviations by D - 1 (np.var's ddof=1), not by D as LN does."""
    return (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, ddof=1, keepdims=True) + eps) * weight + bias


def _dropout_mask_per_step(x, p, rng):
    """Ordinary dropout: a fresh mask at every step, the noise the variational method avoids."""
    return x * (rng.random(x.shape) >= p) / (1 - p)


def _dropout_unscaled(x, p, rng):
    """One mask per sequence, but kept values not scaled up by 1 / (1 - p)."""
    return x * (rng.random(x.shape[1:]) >= p)[None]


def _step_without_cell_norm(x, h, c, params, eps):
    """The layer-normalised gates, but h_t = o * tanh(c_t): LN(c_t) left out."""
    sigmoid = SOLUTIONS_09._sigmoid
    p = params
    gates = (SOLUTIONS_09.exercise_layer_norm(x @ p["weight_ih"].T, p["ln_ih_weight"], p["ln_ih_bias"], eps)
             + SOLUTIONS_09.exercise_layer_norm(h @ p["weight_hh"].T, p["ln_hh_weight"], p["ln_hh_bias"], eps)
             + p["bias"])
    a_i, a_f, a_g, a_o = np.split(gates, 4, axis=1)
    c_t = sigmoid(a_f) * c + sigmoid(a_i) * np.tanh(a_g)
    return sigmoid(a_o) * np.tanh(c_t), c_t


def _step_one_norm_of_the_sum(x, h, c, params, eps):
    """One LN over x W_ih^T + h W_hh^T together (with the ih gain and shift) instead of one for each."""
    p = dict(params)
    p["weight_ih"] = np.concatenate([params["weight_ih"], params["weight_hh"]], axis=1)
    p["weight_hh"] = np.zeros_like(params["weight_hh"])
    p["ln_hh_weight"], p["ln_hh_bias"] = np.zeros_like(p["ln_hh_weight"]), np.zeros_like(p["ln_hh_bias"])
    return SOLUTIONS_09.exercise_layer_norm_lstm_step(np.concatenate([x, h], axis=1), h, c, p, eps)


# plausible mistakes, at least one per exercise: (tutorial, exercise) -> the wrong answer
WRONG = {
    ("01_tensors_and_autograd.py", "sum_to_shape"): lambda grad, shape: np.resize(grad, shape),
    ("01_tensors_and_autograd.py", "sigmoid_backward"): lambda x, g: g * _sigmoid(x),
    ("01_tensors_and_autograd.py", "numerical_gradient"):
        lambda f, x, eps=1e-6: np.array([(f(x + eps) - f(x)) / eps] * x.size).reshape(x.shape),
    ("02_rnn_and_bptt.py", "step_jacobian"): lambda h, W: (1 - h ** 2)[None, :] * W,     # diag on the wrong side
    ("02_rnn_and_bptt.py", "relu_bptt"): lambda xs, W_ih, W_hh, b: _relu_bptt_one_step(xs, W_ih, W_hh, b),
    ("02_rnn_and_bptt.py", "set_forget_bias"): _set_input_gate_bias,                   # rows 0:H, not H:2H
    ("03_sunspots_forecasting.py", "sliding_windows"):                                  # target inside the window
        lambda s, w: (np.stack([s[i:i + w] for i in range(len(s) - w)]), s[w - 1:len(s) - 1]),
    ("03_sunspots_forecasting.py", "lstm_cell"): _lstm_cell_gates_ifog,
    ("03_sunspots_forecasting.py", "early_stopping"):                                   # looks into the future
        lambda losses, patience: (int(np.argmin(losses)), len(losses) - 1),
    ("04_char_language_model.py", "temperature_probs"):                                # overflows at 1000
        lambda z, t: np.exp(z / t) / np.exp(z / t).sum(),
    ("04_char_language_model.py", "bits_per_char"): _nats_per_char,                     # forgets the / ln 2
    ("04_char_language_model.py", "streams"): _random_windows,                           # rows do not continue
    (T05, "adding_batch"):                                          # markers anywhere, target zero
        lambda n, length, rng: (rng.random((n, length, 2)).astype(np.float32), np.zeros(n)),
    (T05, "clip_by_total_norm"):                                    # each element clipped: the direction changes
        lambda grads, max_norm: ([np.clip(g, -max_norm, max_norm) for g in grads],
                                 float(np.sqrt(sum((g * g).sum() for g in grads)))),
    (T05, "recall_accuracy"):                                       # counts the easy blank positions too
        lambda logits, targets, seq_len: float((logits.argmax(-1) == targets).mean()),
    (T06, "decoder_inputs"): lambda target, bos: target,            # no shift: the decoder reads the answer
    (T06, "masked_softmax"): lambda scores, lengths: _softmax(scores),   # attends to the padding too
    (T06, "beam_step"): _beam_step_without_prefix,
    (T07, "pad_batch"):                                             # repeats a sequence instead of padding it
        lambda sequences, pad: (np.array([np.resize(s, max(map(len, sequences))) for s in sequences]),
                                np.array([len(s) for s in sequences])),
    (T07, "last_output"): lambda output, lengths: output[:, -1],    # zeros for the short rows
    (T07, "join_directions"):                                       # reshape mixes the batch items
        lambda h_n: h_n.reshape(h_n.shape[1], -1)[:, -2 * h_n.shape[2]:],
    (T08, "swish_backward"): lambda x, g: g / (1 + np.exp(-x)),     # forgets x * sigmoid'(x)
    (T08, "gru_cell_backward"): _gru_backward_without_reset_gate_path,
}
WRONG_09 = {
    "layer_norm": [_layer_norm_unbiased,
                   lambda a, weight, bias, eps:                 # normalised over the batch, not each row
                   (a - a.mean(0)) / np.sqrt(a.var(0) + eps) * weight + bias],
    "variational_dropout": [_dropout_mask_per_step, _dropout_unscaled],
    "layer_norm_lstm_step": [_step_without_cell_norm, _step_one_norm_of_the_sum],
}
WRONG.update({(T09, name): answer for name, answers in WRONG_09.items() for answer in answers[:1]})
MORE_WRONG = [(T09, name, answer) for name, answers in WRONG_09.items() for answer in answers[1:]]


@pytest.fixture(scope="module", params=NAMES)
def tutorial(request):
    return request.param, exercise_checks.load(request.param), exercise_checks.solutions(request.param)


def test_each_tutorial_ends_with_two_to_four_exercises_each_with_a_solution(tutorial):
    name, namespace, solutions = tutorial
    names = exercise_checks.exercise_names(namespace)
    assert 2 <= len(names) <= 4, names
    for n in names:
        assert callable(getattr(solutions, "exercise_" + n, None)), f"{name}: no solution for {n}"


def test_the_unfilled_stubs_read_unfinished(tutorial):
    _, namespace, _ = tutorial
    for n in exercise_checks.exercise_names(namespace):
        assert exercise_checks.status(namespace["check_" + n], namespace["exercise_" + n]) == "unfinished", n


def test_the_solutions_pass_their_checks(tutorial):
    _, namespace, solutions = tutorial
    for n in exercise_checks.exercise_names(namespace):
        assert exercise_checks.status(namespace["check_" + n], getattr(solutions, "exercise_" + n)) == "passed", n


@pytest.mark.parametrize("name, exercise, answer", [(n, e, a) for (n, e), a in sorted(WRONG.items())] + MORE_WRONG,
                         ids=lambda v: v if isinstance(v, str) else getattr(v, "__name__", "answer"))
def test_a_wrong_answer_fails_its_check(name, exercise, answer):
    namespace = exercise_checks.load(name)
    with np.errstate(all="ignore"):    # some wrong answers overflow, which is the point
        status = exercise_checks.status(namespace["check_" + exercise], answer)
    assert status.startswith("wrong: "), status


def test_every_exercise_has_a_wrong_answer_tested():
    for name in NAMES:
        for n in exercise_checks.exercise_names(exercise_checks.load(name)):
            assert (name, n) in WRONG, (name, n)


def test_a_crashing_answer_reads_wrong_with_its_error():
    def check(fn):
        fn()
    assert exercise_checks.status(check, lambda: 1 / 0) == "wrong: ZeroDivisionError: division by zero"
    assert exercise_checks.status(check, lambda: (_ for _ in ()).throw(NotImplementedError("mine"))) \
        == "wrong: NotImplementedError: mine"


@pytest.mark.parametrize("name", NAMES)
def test_the_tutorial_works_cell_by_cell_at_top_level(name):
    """No main() to call: the work is in top-level # %% cells, so each cell shows its result when run."""
    text = (TUTORIALS / name).read_text()
    assert "def main(" not in text and "__main__" not in text
    assert text.count("\n# %%\n") >= 8


@pytest.mark.parametrize("name", NAMES)
def test_the_exercises_sit_in_cells_of_their_own_after_an_exercises_heading(name):
    text = (TUTORIALS / name).read_text()
    heading = text.index("# ## Exercises")
    assert text.index("def exercise_") > heading and "exercise_checks.run(globals())" in text[heading:]
    if "# ## Pitfall" in text:
        assert text.index("# ## Pitfall") < heading


@pytest.mark.slow
def test_the_quick_run_reports_the_exercises_unfinished_and_shows_the_pitfall(tmp_path):
    from test_tutorials import run_tutorial
    r, out = run_tutorial(T09, tmp_path)
    assert r["exercises"] == dict.fromkeys(["layer_norm", "variational_dropout", "layer_norm_lstm_step"],
                                           "unfinished")
    assert "exercise layer_norm: unfinished" in out
    pitfall = r["masks_on_vs_off"]
    assert len(set(pitfall["train_mode_bits"])) == 3             # new masks, a new loss, at every call
    assert pitfall["eval_mode_bits"][0] == pitfall["eval_mode_bits"][1]
    assert pitfall["eval_vs_lstm_max_diff"] < 1e-5               # eval mode is nn.LSTM with the same weights

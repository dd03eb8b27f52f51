"""Every tutorial runs in --quick mode as a script and its result shows learning.

Each tutorial writes results.json into its --out folder; the thresholds below
are far from chance yet leave room for platform-to-platform float differences.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"

pytestmark = pytest.mark.slow


def run_tutorial(name, out):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg",
               # one BLAS thread: on a small shared machine, BLAS threads spinning against each
               # other can make these tiny matrix products a hundred times slower
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(TUTORIALS / name), "--quick", "--out", str(out)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return json.loads((out / "results.json").read_text()), proc.stdout


def test_tutorials_are_numbered_from_one_without_gaps_in_percent_format():
    scripts = sorted(p.name for p in TUTORIALS.glob("[0-9][0-9]_*.py"))
    assert len(scripts) >= 8 and [s[:2] for s in scripts] == [f"{i:02d}" for i in range(1, len(scripts) + 1)]
    for s in scripts:
        assert "# %%" in (TUTORIALS / s).read_text()


def test_01_autograd_matches_numerical_gradients_and_fits(tmp_path):
    r, out = run_tutorial("01_tensors_and_autograd.py", tmp_path)
    assert r["max_grad_error"] < 1e-6
    assert r["final_loss"] < r["first_loss"] / 5
    assert (tmp_path / "graph.dot").exists() and "tr.gradcheck: passed" in out
    # each autograd pitfall shown wrong, then right
    assert r["broadcast_grad_shape"] == [2]
    assert r["accumulated_grad"] == 2 * r["cleared_grad"] == 12.0
    assert "already backpropagated" in r["freed_graph_error"] and "retain_graph=True" in r["freed_graph_error"]
    assert r["held_graph_nodes"] >= 20                        # twenty graphs kept alive by one Tensor
    assert "modified in place" in r["inplace_error"]
    assert r["exercises"] == dict.fromkeys(["sum_to_shape", "sigmoid_backward", "numerical_gradient"], "unfinished")
    assert "exercise sum_to_shape: unfinished" in out


def test_02_rnn_gradients_vanish_and_explode_and_bptt_learns(tmp_path):
    r, _ = run_tutorial("02_rnn_and_bptt.py", tmp_path)
    assert r["ratio"]["0.5"] < 1e-3 < 1 < r["ratio"]["2"]
    assert r["test_mse"] < r["persistence_mse"] / 2
    assert "t=0" in (tmp_path / "unrolled_rnn.dot").read_text()
    # BPTT by hand agrees with autograd; a shared weight's gradient is the sum of the per-step copies'
    assert r["bptt_by_hand_error"] < 1e-12 and r["shared_weight_sum_error"] < 1e-12
    # the default init's per-step factor is near 1/sqrt(3), far below one
    assert 0.4 < r["default_rnn_factor"] < 0.75
    # a default LSTM decays like the RNN over 30 steps; a forget-gate bias of 2 keeps far more
    assert r["lstm_ratio"]["default"] < 1e-4 and r["lstm_ratio"]["forget bias 2"] > 1e-3
    assert set(r["exercises"].values()) == {"unfinished"} and len(r["exercises"]) == 3


def test_03_recurrent_forecasts_beat_the_seasonal_naive_baseline(tmp_path):
    r, _ = run_tutorial("03_sunspots_forecasting.py", tmp_path)
    rmse = r["rmse"]
    for model in ("LSTM", "GRU"):
        assert rmse[model] < rmse["seasonal naive y[t-11]"]
        assert rmse[model] < rmse["persistence y[t-1]"]
        # the test score reported is the model validation chose, not the last step's
        chosen = r["selection"][model]
        assert chosen["test_rmse"] == rmse[model] and 0 < chosen["best_step"] <= 150
        assert chosen["validation_mse"] <= chosen["last_validation_mse"]
        low, high = r["versus_best_baseline"][model]["interval"]
        assert low <= r["versus_best_baseline"][model]["gap"] <= high
    assert r["best_baseline"] == "linear AR(11)"
    assert r["batch_first_last_step_is_h_n"] and r["state_dict_reference_moved"]
    assert set(r["exercises"].values()) == {"unfinished"} and len(r["exercises"]) == 3


def test_04_char_model_beats_the_unigram_bits_per_char(tmp_path):
    r, out = run_tutorial("04_char_language_model.py", tmp_path)
    assert r["bits_per_char"] < r["unigram_bits_per_char"] - 0.5
    assert "temperature 0.5" in out
    # carried state: without detach the second backward meets a freed graph; retain_graph=True lets the
    # graph grow a window per step and is refused once the optimizer changed the weights; detach_state keeps
    # every window's graph the same size
    assert "already backpropagated" in r["carry: no detach"]["error"]
    assert "modified in place" in r["carry: no detach, retain_graph=True"]["error"]
    grown = r["carry: no detach, retain_graph=True, no update"]["graph_nodes"]
    assert r["carry: no detach, retain_graph=True, no update"]["error"] is None and grown == sorted(set(grown))
    tbptt = r["carry: detach_state (TBPTT)"]
    assert tbptt["error"] is None and len(set(tbptt["graph_nodes"])) == 1 and tbptt["graph_nodes"][0] == grown[0]
    assert set(r["exercises"].values()) == {"unfinished"} and len(r["exercises"]) == 3


def test_05_gated_cells_solve_adding_and_copy_beyond_the_baselines(tmp_path):
    r, _ = run_tutorial("05_long_range_dependencies.py", tmp_path)
    for model in ("LSTM", "GRU"):
        assert r["adding"][model] < 0.08          # predicting the mean: 1/6
        assert r["copy"][model] > 0.45            # guessing: 1/4
    assert r["graph_nodes_held_by_summed_loss"] >= 20 * 10      # twenty steps' graphs kept by one summed Tensor
    assert r["exercises"] == dict.fromkeys(["adding_batch", "clip_by_total_norm", "recall_accuracy"], "unfinished")


def test_06_seq2seq_exact_match_is_far_above_chance(tmp_path):
    r, _ = run_tutorial("06_seq2seq_attention.py", tmp_path)
    assert r["reverse"]["greedy"] > 0.8 and r["reverse"]["beam"] > 0.8   # chance: about 10^-3
    assert r["sort"]["greedy"] > 0.5
    assert r["exercises"] == dict.fromkeys(["decoder_inputs", "masked_softmax", "beam_step"], "unfinished")


def test_07_bidirectional_gru_with_lengths_classifies_padded_batches(tmp_path):
    r, _ = run_tutorial("07_bidirectional_classification.py", tmp_path)
    assert r["bidirectional GRU, lengths"] > 0.7                   # chance: 0.5
    assert r["bidirectional GRU, lengths"] > r["bidirectional GRU, pads read as data"]
    # the layouts: each direction's final state where it is, and the two tempting wrong joins
    layout = r["layout"]
    assert layout["forward final == output[:, -1, :H]"] and layout["backward final == output[:, 0, H:]"]
    assert layout["right: cat([h_n[0], h_n[1]], dim=-1) == the final states"]
    assert not layout["wrong: output[:, -1] == the final states"]
    assert not layout["wrong: h_n.reshape(B, 2H) == the final states"]
    assert r["exercises"] == dict.fromkeys(["pad_batch", "last_output", "join_directions"], "unfinished")


def test_08_new_op_is_gradchecked_and_trains_in_a_cell(tmp_path):
    r, out = run_tutorial("08_extending_the_engine.py", tmp_path)
    assert r["wrong_backward_caught"]
    assert r["softsign RNNCell"] < 0.05        # the signal's variance is 0.5, the noise floor 0.01
    assert "GPU comparison skipped" in out or "GPU speed-up" in out
    assert "modified in place" in r["inplace_error"] and "Exp" in r["inplace_error"]
    assert "@staticmethod taking ctx" in out                 # the torch.autograd.Function style, refused
    assert r["exercises"] == dict.fromkeys(["swish_backward", "gru_cell_backward"], "unfinished")

"""Tutorial 9 (LSTM variants) runs in --quick mode and every model in it learns."""

import pytest
from test_tutorials import run_tutorial

pytestmark = pytest.mark.slow


def test_09_lstm_variants_learn_keep_their_memory_and_draw_their_steps(tmp_path):
    r, out = run_tutorial("09_lstm_variants.py", tmp_path)
    for kind in ("LSTM", "LayerNormLSTM", "VariationalLSTM"):
        assert r["bits_per_char"][kind] < r["first_bits_per_char"][kind] - 1   # from about log2(96) = 6.6
    assert r["cell_state_max"]["LayerNormLSTM"] > 0 and set(r["cell_state_max"]) == set(r["bits_per_char"])
    assert r["gradient_reach"]["LSTM"] < 1e-3                                   # a default LSTM's decays
    drawn = (tmp_path / "layer_norm_lstm_unrolled.dot").read_text()
    assert all(f'label="t={t}"' in drawn for t in range(3)) and "<B>LN(c_t)</B>" in drawn
    assert "m_h" in (tmp_path / "variational_lstm_unrolled.dot").read_text()

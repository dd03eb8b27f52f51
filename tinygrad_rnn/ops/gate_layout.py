"""The two layouts of a fused cell's gates, and the shape check both cells share.

    rows         (batch, G*H): PyTorch's, gate k in columns k*H..(k+1)*H; what the
                 standalone cell ops (FusedLSTMCell, FusedGRUCell) take
    gate-major   (G, batch, H): gate k is block k; what the layers' fast path keeps,
                 each block contiguous (ops/input_projection.py says why)
"""


def gate_major(rows, gates):
    """(batch, G*H) in PyTorch's column order -> the (G, batch, H) view of its gates (no copy)."""
    batch, width = rows.shape
    return rows.reshape(batch, gates, width // gates).transpose(1, 0, 2)


def check_gates(cell, where, gates_x, gates_h, state_name, state, expected):
    """A ValueError naming the shapes unless gates_x and gates_h both have the shape `expected`."""
    if gates_x.shape != gates_h.shape or gates_x.shape != expected:
        raise ValueError(f"{cell} {where}: expected gates_x and gates_h of shape {expected} for {state_name} of "
                         f"shape {state.shape}, got {gates_x.shape} and {gates_h.shape}")

"""The fused cell kernels (tinygrad_rnn/kernels.py) against the ufunc cells they replace on CUDA.

On every machine: each kernel's body run by NumPy (its transcription) equals the ufunc cell it stands for,
and so does the body compiled as host C++ (where a C++ compiler is installed); whole layers whose cells run
the transcriptions in the kernels' place give the ufunc path's outputs and gradients; a body outside the
part of C that Python shares is refused; the ufunc cells run on NumPy and on the CuPy stand-in.

On a GPU with real CuPy (the tests named *_on_cuda_*, which tools/gpu_check.sh runs with `-k cuda`):
each kernel equals its ufunc cell run by NumPy to float32's 1e-6 and float64's 1e-12, forward and backward
of each family, in both gate layouts; layers give the same outputs and gradients with the kernels as
without; and the ops launch one kernel per step and direction.
"""

import ctypes
import re
import shutil
import subprocess

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import backend, kernels, nn
from tinygrad_rnn.bptt import gru, lstm, peephole_lstm, rnn
from tinygrad_rnn.bptt.gates import Gates
from tinygrad_rnn.errors import OpError

TOLERANCE = {np.float32: 1e-6, np.float64: 1e-12}
DTYPES = [np.float32, np.float64]


def real_cupy():
    """The CuPy module where a real GPU computes, else None (no CuPy, no GPU, or the stand-in)."""
    if not tr.cuda_available():
        return None
    xp = backend.xp_for("cuda")
    return None if getattr(xp, "IS_FAKE", False) else xp


def no_gpu_reason():
    if not tr.cuda_available():
        return f"the fused kernels compile only on a GPU: {backend.cuda_unavailable_reason()}"
    return "the fused kernels compile only on a GPU; CuPy here is the strict stand-in, which has no ElementwiseKernel"


on_gpu = pytest.mark.skipif(real_cupy() is None, reason=no_gpu_reason())


# ---- one step's arguments for each cell, as the op passes them -------------------------------------------------
def gate_block(to, values, rows):
    """values (G, B, H) as step 0 of a Gates buffer: gate-major (G, B, H) blocks, or the rows layout (B, G*H)."""
    gates, batch, hidden = values.shape
    array = values.transpose(1, 0, 2).reshape(batch, gates * hidden) if rows else values
    return Gates(to(array), batch, gates).step(0)


def cell_arguments(cell, to, rng, dtype, rows=False, batch=3, hidden=5):
    """Arguments of one call of `cell` (a decorated bptt cell), drawn from rng, moved by `to` (host -> device);
    gates that are activations (in backward) lie in sigmoid's or tanh's range, states anywhere."""
    def normal(*shape):
        return rng.standard_normal(shape).astype(dtype)

    def like(*shape):
        return to(np.zeros(shape, dtype))

    def gates(kinds):  # "s" a sigmoid activation, "t" a tanh one, "a" a pre-activation
        values = [{"s": 1 / (1 + np.exp(-2 * normal(batch, hidden))), "t": np.tanh(2 * normal(batch, hidden)),
                   "a": 2 * normal(batch, hidden)}[k] for k in kinds]
        return gate_block(to, np.stack(values).astype(dtype), rows)

    state = (batch, hidden)
    if cell in (rnn.tanh_forward, rnn.relu_forward):
        return to(normal(*state)), to(normal(*state))
    if cell is rnn.tanh_backward:
        return to(normal(*state)), to(np.tanh(normal(*state))), like(*state)
    if cell is rnn.relu_backward:
        return to(normal(*state)), to(np.maximum(normal(*state), 0)), like(*state)
    if cell is lstm.cell_forward:
        return gates("aaaa"), to(normal(*state)), like(*state), like(*state), like(*state), like(*state)
    if cell is lstm.cell_backward:
        return (gates("ssst"), to(normal(*state)), to(np.tanh(normal(*state))), to(normal(*state)),
                to(normal(*state)), like(*state), like(*state))
    if cell is gru.cell_forward:
        return gates("aaa"), to(normal(*state)), to(normal(*state)), like(*state), like(*state)
    if cell is gru.cell_backward:
        return gates("sst"), to(normal(*state)), to(normal(*state)), to(normal(*state)), like(*state), like(*state)
    if cell is peephole_lstm.cell_forward:
        peepholes = (to(normal(2, 1, hidden)), to(normal(hidden)))
        return (gates("aaaa"), to(normal(*state)), like(*state), like(*state), like(*state), peepholes,
                like(2, batch, hidden))
    if cell is peephole_lstm.cell_backward:
        peepholes = tuple(to(normal(hidden)) for _ in range(3))
        return (gates("stss"), to(normal(*state)), to(np.tanh(normal(*state))), peepholes, to(normal(*state)),
                to(normal(*state)), like(*state), like(*state))
    raise AssertionError(f"no arguments for {cell.__name__}")


CELLS = [rnn.tanh_forward, rnn.relu_forward, rnn.tanh_backward, rnn.relu_backward, lstm.cell_forward,
         lstm.cell_backward, gru.cell_forward, gru.cell_backward, peephole_lstm.cell_forward,
         peephole_lstm.cell_backward]
CELL_IDS = [cell.kernel.name for cell in CELLS]


def host(array):
    return backend.to_numpy(array)


def written(cell, arguments):
    """The arrays the cell's kernel writes, as host arrays, in the kernel's order."""
    return [host(a) for a in cell.kernel.arguments(*arguments)[len(cell.kernel.inputs):]]


def assert_close(got, want, dtype):
    tol = TOLERANCE[dtype]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * max(1.0, float(np.abs(w).max())))


def ufunc_result(cell, dtype, seed, rows):
    arguments = cell_arguments(cell, np.array, np.random.default_rng(seed), dtype, rows)
    cell.ufuncs(*arguments)
    return written(cell, arguments)


def test_every_bptt_cell_has_a_kernel():
    assert {cell.kernel for cell in CELLS} == set(kernels.KERNELS)


# ---- on the CPU ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("rows", [False, True], ids=["gate-major", "rows"])
@pytest.mark.parametrize("cell", CELLS, ids=CELL_IDS)
def test_each_kernel_body_run_by_numpy_equals_the_ufunc_cell(cell, rows, dtype):
    arguments = cell_arguments(cell, np.array, np.random.default_rng(1), dtype, rows)
    cell.kernel.reference(*cell.kernel.arguments(*arguments))
    assert_close(written(cell, arguments), ufunc_result(cell, dtype, 1, rows), dtype)


def test_on_numpy_the_ufunc_cells_run():
    assert not kernels.active(np.zeros(3, np.float32))


def test_the_kernels_run_exactly_where_a_real_gpu_computes(device):
    x = tr.zeros(2, 3, device=device)
    assert kernels.active(x.array) == (device == "cuda" and real_cupy() is not None)


@pytest.mark.skipif(not tr.cuda_available() or real_cupy() is not None,
                    reason="a question for the strict CuPy stand-in (PYTHONPATH=../shared/strict_cupy)")
def test_on_the_stand_in_s_cuda_an_lstm_layer_runs_its_ufunc_cells():
    lstm_layer = nn.LSTM(3, 4).to("cuda")
    out, _ = lstm_layer(tr.randn(5, 2, 3, device="cuda"))  # the stand-in would refuse ElementwiseKernel
    out.sum().backward()
    assert lstm_layer.weight_hh_l0.grad is not None


def layers(family):
    """A small layer of each family, float64, and its input with lengths (one sequence shorter)."""
    tr.manual_seed(0)
    layer = {"rnn_tanh": lambda: nn.RNN(3, 4, num_layers=2, bidirectional=True),
             "rnn_relu": lambda: nn.RNN(3, 4, nonlinearity="relu", bidirectional=True),
             "lstm": lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True),
             "gru": lambda: nn.GRU(3, 4, bidirectional=True),
             "peephole": lambda: nn.PeepholeLSTM(3, 4, num_layers=2)}[family]()
    return layer.double()


def run_layer(layer, device, batch, lengths):
    """(output, every parameter's gradient) as host arrays, after backward of a fixed function of the output."""
    layer.zero_grad()
    rng = np.random.default_rng(2)
    x = tr.tensor(rng.standard_normal((6, batch, 3)), device=device)
    weights = tr.tensor(rng.standard_normal((6, batch, layer.hidden_size * (2 if getattr(
        layer, "bidirectional", False) else 1))), device=device)
    out = layer(x, lengths=lengths)[0]
    (out * weights).sum().backward()
    return [out.numpy()] + [p.grad.numpy() for p in layer.parameters()]


FAMILIES = ["rnn_tanh", "rnn_relu", "lstm", "gru", "peephole"]
SHAPES = [(1, None), (3, None), (3, [6, 2, 4])]
SHAPE_IDS = ["batch1", "batch3", "lengths"]


@pytest.mark.parametrize("batch, lengths", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("family", FAMILIES)
def test_a_layer_whose_cells_run_the_kernel_bodies_gives_the_ufunc_path_s_numbers(family, batch, lengths,
                                                                                   monkeypatch):
    layer = layers(family)
    want = run_layer(layer, "cpu", batch, lengths)
    launched = []

    def launch(kernel, *arrays):
        launched.append(kernel.name)
        kernel.reference(*arrays)
    monkeypatch.setattr(kernels, "active", lambda array: True)
    monkeypatch.setattr(kernels.CellKernel, "launch", launch)
    got = run_layer(layer, "cpu", batch, lengths)
    assert_close(got, want, np.float64)
    assert {name.rsplit("_", 1)[1] for name in launched} == {"forward", "backward"}


def test_launch_builds_one_elementwise_kernel_with_typed_parameters_and_the_preamble(monkeypatch):
    built, calls = [], []

    class Module:
        @staticmethod
        def ElementwiseKernel(in_params, out_params, operation, name, preamble):  # noqa: N802 (CuPy's name)
            built.append((in_params, out_params, operation, name, preamble))
            return lambda *arrays: calls.append(arrays)
    monkeypatch.setattr(backend, "xp_of", lambda array: Module)
    kernel = kernels.CellKernel("probe", "x, y", "z", "z = x * y;", arguments=lambda *a: a)
    kernel(1, 2, 3)
    kernel(4, 5, 6)
    assert built == [("T x, T y", "T z", "z = x * y;", "tinygrad_rnn_probe", kernels.PREAMBLE)]
    assert calls == [(1, 2, 3), (4, 5, 6)]


@pytest.mark.parametrize("body, message", [
    ("x = y;", "assigns 'x', an input (const in C)"),
    ("w = x;", "assigns 'w', neither an output nor a declared local"),
    ("y = w;", "reads 'w' before it exists"),
    ("T w = w + x; y = w;", "reads 'w' before it exists"),
    ("T x = y;", "declares 'x', which already exists"),
    ("y = x * 0.5;", "has the literal 0.5; only integers"),
    ("y = x + 1 / 2;", "divides two integers"),
    ("y = exp(x);", "calls something other than the helpers"),
    ("y = x ** 2;", "uses an operator other than + - * /"),
    ("y = x if x else y;", "uses IfExp, outside the subset"),
    ("y = sigmoid;", "uses the helper 'sigmoid' without calling it"),
    ("y = x, x;", "uses Tuple, outside the subset"),
    ("y = x = x;", "must assign one expression to one name"),
    ("T i = x; y = i;", "uses the name 'i', which the kernel cannot have"),
])
def test_a_body_outside_the_subset_c_and_python_share_is_refused_naming_the_statement(body, message):
    with pytest.raises(OpError, match=r"kernel probe: the statement `.*` .*" + re.escape(message)):
        kernels.CellKernel("probe", "x", "y", body, arguments=lambda *a: a)


def test_a_body_becomes_python_without_its_declarations_and_comments():
    kernel = kernels.CellKernel("probe", "x", "y", """
        T w = x * x;      // a local
        y = w - x;
    """, arguments=lambda *a: a)
    assert kernel.python == "w = x * x\ny = w - x\n"


# ---- the bodies as host C++: what a GPU would compile, compiled by the host compiler ---------------------------
HOST_HEADER = """
#include <cmath>
using std::exp;
using std::fabs;
using std::tanh;
#define __device__
"""


def host_function(kernel, ctype):
    """The body inside a loop over elements with CuPy's argument declarations (const T & inputs, T & outputs)."""
    declarations = [f"const T &{n} = ((const T *)args[{k}])[e];" for k, n in enumerate(kernel.inputs)]
    declarations += [f"T &{n} = ((T *)args[{k + len(kernel.inputs)}])[e];" for k, n in enumerate(kernel.outputs)]
    lines = "\n        ".join(declarations)
    return f"""
extern "C" void {kernel.name}_{ctype}(long n, void **args) {{
    typedef {ctype} T;
    for (long e = 0; e < n; ++e) {{
        {lines}
        {kernel.body}
    }}
}}
"""


@pytest.fixture(scope="module")
def host_library(tmp_path_factory):
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.skip("compiling the kernel bodies on the host needs a C++ compiler (g++)")
    folder = tmp_path_factory.mktemp("kernels")
    source = HOST_HEADER + kernels.PREAMBLE + "".join(
        host_function(k, ctype) for k in kernels.KERNELS for ctype in ("float", "double"))
    (folder / "kernels.cpp").write_text(source)
    library = folder / "kernels.so"
    subprocess.run([compiler, "-std=c++17", "-O1", "-ffp-contract=off", "-shared", "-fPIC", "-Wall", "-Werror",
                    "-o", str(library), str(folder / "kernels.cpp")], check=True, capture_output=True)
    return ctypes.CDLL(str(library))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("cell", CELLS, ids=CELL_IDS)
def test_each_kernel_body_compiled_as_host_cpp_equals_the_ufunc_cell(cell, dtype, host_library):
    kernel = cell.kernel
    arrays = kernel.arguments(*cell_arguments(cell, np.array, np.random.default_rng(3), dtype))
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    full = [np.ascontiguousarray(np.broadcast_to(a, shape)) for a in arrays]  # CuPy broadcasts; C sees elements
    pointers = (ctypes.c_void_p * len(full))(*(a.ctypes.data for a in full))
    function = getattr(host_library, f"{kernel.name}_{'float' if dtype == np.float32 else 'double'}")
    function(ctypes.c_long(int(np.prod(shape))), pointers)
    assert_close(full[len(kernel.inputs):], ufunc_result(cell, dtype, 3, False), dtype)


# ---- on a GPU ----------------------------------------------------------------------------------------------
@on_gpu
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("rows", [False, True], ids=["gate-major", "rows"])
@pytest.mark.parametrize("cell", CELLS, ids=CELL_IDS)
def test_each_kernel_on_cuda_equals_the_ufunc_cell_run_by_numpy(cell, rows, dtype):
    cupy = real_cupy()
    arguments = cell_arguments(cell, cupy.asarray, np.random.default_rng(4), dtype, rows)
    assert kernels.active(arguments[0])
    cell(*arguments)
    assert_close(written(cell, arguments), ufunc_result(cell, dtype, 4, rows), dtype)


@on_gpu
@pytest.mark.parametrize("batch, lengths", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("family", FAMILIES)
def test_a_layer_on_cuda_gives_the_same_outputs_and_gradients_with_the_kernels_as_without(family, batch, lengths):
    layer = layers(family).to("cuda")
    got = run_layer(layer, "cuda", batch, lengths)
    with kernels.disabled():
        want = run_layer(layer, "cuda", batch, lengths)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10 * max(1.0, float(np.abs(w).max())))


@on_gpu
def test_a_float32_lstm_on_cuda_gives_the_same_gradients_with_the_kernels_as_without():
    layer = nn.LSTM(3, 4, bidirectional=True).to("cuda")
    x = tr.randn(6, 3, 3, device="cuda")

    def gradients():
        layer.zero_grad()
        out, _ = layer(x, lengths=[6, 2, 4])
        (out * out).sum().backward()
        return [out.numpy()] + [p.grad.numpy() for p in layer.parameters()]
    got = gradients()
    with kernels.disabled():
        want = gradients()
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(w).max())))


@on_gpu
def test_an_lstm_on_cuda_launches_one_kernel_per_step_and_direction(monkeypatch):
    launched = []
    launch = kernels.CellKernel.launch

    def counting(kernel, *arrays):
        launched.append(kernel.name)
        launch(kernel, *arrays)
    monkeypatch.setattr(kernels.CellKernel, "launch", counting)
    layer = nn.LSTM(3, 4, bidirectional=True).to("cuda")
    out, _ = layer(tr.randn(5, 2, 3, device="cuda"))
    out.sum().backward()
    assert launched.count("lstm_forward") == 10 and launched.count("lstm_backward") == 10


@on_gpu
def test_disabled_on_cuda_turns_the_kernels_off_for_its_block_only():
    x = tr.zeros(2, 3, device="cuda").array
    with kernels.disabled():
        assert not kernels.active(x)
    assert kernels.active(x)

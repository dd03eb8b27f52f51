"""The cells' pointwise maths as one fused kernel per cell and direction, on CUDA.

A step of a hand-written BPTT op (tinygrad_rnn/bptt) is one GEMM and then the
cell's pointwise maths: some twenty NumPy/CuPy ufunc calls with out= on the
step's gate blocks. On NumPy that is the fastest way there is. On a GPU every
ufunc call is a kernel launch that reads its operands from memory and writes its
result back, so the same step is twenty launches where one would do: here each
cell's maths is written once more as the body of one `cupy.ElementwiseKernel`,
which keeps every intermediate in registers.

    @cuda_kernel(LSTM_FORWARD)             bptt/lstm.py: the ufunc cell stays the function's body;
    def cell_forward(a, c_prev, ...):      on a CUDA array the call runs the kernel instead

An ElementwiseKernel rather than `cupy.fuse`: the cells write their results over
their arguments (the gate blocks of one buffer, c_t beside c_{t-1} in one array of
states), and fuse treats arguments that share a base array as one memory: an op
that writes one of them first copies the others it reads. An ElementwiseKernel's
outputs are plain references to the given arrays' elements, read and written in
place, and nothing is copied.

`active(array)` makes the choice: the kernels run on float32 and float64 CuPy
arrays on a real GPU, unless `with disabled():` turns them off. On NumPy, and on
the strict CuPy stand-in (which cannot compile kernels), the ufunc cell runs.

A kernel body is written in the part of the language C and Python share, so that
one text is both the CUDA source and its own NumPy reference:

    assignments `name = expression;`, one per statement
    `T name = expression;` declares a local (T is the arrays' type, float or double)
    + - * / and unary -, parentheses, integer literals, and the helpers
    sigmoid, tanh, relu, relu_grad; `//` starts a comment

In the kernel every input is a `const T &` and every output a `T &` on the
arrays' element at the thread's index, so assigning an output writes it and a
later read sees the new value. `CellKernel.reference` runs the same statements
on NumPy arrays (the `T ` dropped, the outputs written back at the end), which
the tests hold equal to the ufunc cell on the CPU. The body is checked against
that subset when the kernel is defined: a name assigned that is neither an
output nor a declared local, an input assigned (a `const` in C), a name read
before it exists, a float literal (a double in C) are refused at import, on any
machine, rather than at the first compilation on a GPU.
"""

import ast
import contextlib
import functools
import re

from . import backend
from .errors import OpError
from .ops.unary import stable_sigmoid

# The helpers a body may call, in C. Templates, so one definition serves float and double (CUDA's math
# functions, tanh in the bodies too, are overloaded for float: tanh(float) is tanhf). sigmoid is
# ops/unary.py's: e^min(x, 0) / (1 + e^-|x|).
PREAMBLE = """
template <typename F> __device__ F sigmoid(F x) {
    F e = exp(-fabs(x));                      // e^-|x| <= 1: no overflow at either end
    return (x >= 0 ? F(1) : e) / (F(1) + e);
}
template <typename F> __device__ F relu(F x) { return x < 0 ? F(0) : x; }          // NaN stays NaN
template <typename F> __device__ F relu_grad(F y) { return y > 0 ? F(1) : F(0); }  // d relu / dx, from y
"""


def _helpers(xp):
    """The same helpers for `reference`, on the array module xp."""
    return {"sigmoid": stable_sigmoid, "tanh": xp.tanh, "relu": lambda x: xp.maximum(x, 0),
            "relu_grad": lambda y: (y > 0).astype(y.dtype)}


HELPERS = tuple(_helpers(backend.np))
FLOATS = (backend.float32, backend.float64)

_enabled = True


def active(array):
    """True when a cell given `array` runs its fused kernel: a float32/float64 CuPy array on a real GPU,
    outside `disabled()`. False on NumPy and on the CuPy stand-in, whose ufuncs then run the cell."""
    if type(array) is backend.np.ndarray or not _enabled:
        return False
    xp = backend.xp_of(array)
    return xp is not backend.np and not getattr(xp, "IS_FAKE", False) and array.dtype in FLOATS


@contextlib.contextmanager
def disabled():
    """Run every cell as its ufunc calls inside the block, on every device (to compare, or to time)."""
    global _enabled
    before, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = before


class CellKernel:
    """One cell's pointwise maths in one direction: `body` (module docstring) over `inputs` (read) and
    `outputs` (read and written), the names of the kernel's arguments in order, comma-separated.
    `arguments` maps the ufunc cell's arguments to the kernel's (gate blocks unpacked, scratch dropped)."""

    def __init__(self, name, inputs, outputs, body, arguments):
        self.name = name
        self.inputs = tuple(n.strip() for n in inputs.split(","))
        self.outputs = tuple(n.strip() for n in outputs.split(","))
        self.body, self.arguments = body, arguments
        for n in self.inputs + self.outputs:
            self._check_name(n, f"argument {n!r}")
        self.python = self._transcribe()
        self._code = compile(self.python, f"<kernel {name}>", "exec")
        self._cuda = None  # the cupy.ElementwiseKernel, made at the first launch

    def __repr__(self):
        return f"CellKernel({self.name!r})"

    def __call__(self, *cell_arguments):
        self.launch(*self.arguments(*cell_arguments))

    def launch(self, *arrays):
        """Run the kernel on CuPy arrays in the order inputs, outputs (inputs broadcast to the outputs' shape)."""
        if self._cuda is None:
            xp = backend.xp_of(arrays[-1])
            self._cuda = xp.ElementwiseKernel(", ".join(f"T {n}" for n in self.inputs),
                                              ", ".join(f"T {n}" for n in self.outputs),
                                              self.body, name=f"tinygrad_rnn_{self.name}", preamble=PREAMBLE)
        self._cuda(*arrays)

    def reference(self, *arrays):
        """What `launch` computes, by the same statements on the arrays' own module (NumPy): the outputs are
        written in place."""
        xp = backend.xp_of(arrays[-1])
        scope = _helpers(xp)
        scope.update(zip(self.inputs + self.outputs, arrays))
        exec(self._code, scope)
        for name, array in zip(self.outputs, arrays[len(self.inputs):]):
            if scope[name] is not array:
                xp.copyto(array, scope[name])

    # ---- the body: C and Python at once --------------------------------------------------------------
    def _transcribe(self):
        """The body as Python (declarations without `T `), after checking it keeps to the shared subset."""
        text = "\n".join(line.split("//", 1)[0] for line in self.body.splitlines())
        defined = set(self.inputs) | set(self.outputs) | set(HELPERS)
        lines = []
        for statement in (s.strip() for s in text.split(";")):
            if not statement:
                continue
            declaration = re.match(r"T\s+(?=\w)", statement)
            python = statement[declaration.end():] if declaration else statement
            target = self._check(python, statement, defined)
            if declaration:
                self._check_name(target, f"the statement `{statement}`")
                if target in defined:
                    self._refuse(statement, f"declares {target!r}, which already exists")
                defined.add(target)
            elif target not in self.outputs:
                what = "an input (const in C)" if target in self.inputs else "neither an output nor a declared local"
                self._refuse(statement, f"assigns {target!r}, {what}")
            lines.append(" ".join(python.split()))
        return "\n".join(lines) + "\n"

    def _check(self, python, statement, defined):
        """The name `python` (one statement) assigns, once every node of it is in the subset C shares."""
        try:
            tree = ast.parse(python)
        except SyntaxError:
            self._refuse(statement, "is not an assignment in the shared subset")
        if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assign) or len(tree.body[0].targets) != 1 \
                or not isinstance(tree.body[0].targets[0], ast.Name):
            self._refuse(statement, "must assign one expression to one name")
        assign = tree.body[0]
        called = {id(node.func) for node in ast.walk(assign.value) if isinstance(node, ast.Call)}
        for node in ast.walk(assign.value):
            if isinstance(node, ast.Name):
                if node.id not in defined:
                    self._refuse(statement, f"reads {node.id!r} before it exists")
                if node.id in HELPERS and id(node) not in called:
                    self._refuse(statement, f"uses the helper {node.id!r} without calling it")
            elif isinstance(node, ast.Constant):
                if type(node.value) is not int:
                    self._refuse(statement, f"has the literal {node.value!r}; only integers (a float literal is a "
                                            "double in C)")
            elif isinstance(node, ast.Call):
                if not isinstance(node.func, ast.Name) or node.func.id not in HELPERS or node.keywords:
                    self._refuse(statement, f"calls something other than the helpers {HELPERS}")
            elif isinstance(node, ast.BinOp):
                if not isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
                    self._refuse(statement, "uses an operator other than + - * /")
                if isinstance(node.op, ast.Div) and all(isinstance(v, ast.Constant) for v in (node.left, node.right)):
                    self._refuse(statement, "divides two integers (integer division in C)")
            elif isinstance(node, ast.UnaryOp):
                if not isinstance(node.op, ast.USub):
                    self._refuse(statement, "uses a unary operator other than -")
            elif not isinstance(node, (ast.Load, ast.operator, ast.unaryop)):
                self._refuse(statement, f"uses {type(node).__name__}, outside the subset C and Python share")
        return assign.targets[0].id

    def _check_name(self, name, what):
        # i is the kernel's loop index and _names are CuPy's (_raw_x, _ind)
        if not name.isidentifier() or name == "i" or name.startswith("_") or name in HELPERS or name == "T":
            raise OpError(f"kernel {self.name}: {what} uses the name {name!r}, which the kernel cannot have "
                          "(not an identifier, or one of i, T, _..., the helpers)")

    def _refuse(self, statement, why):
        raise OpError(f"kernel {self.name}: the statement `{statement}` {why}")


def cuda_kernel(kernel):
    """Decorate a cell's ufunc function (its first argument an array): where `active` says so, a call runs
    `kernel` on the same arguments instead. The function keeps its ufunc body as `.ufuncs`, its kernel as
    `.kernel`."""
    def decorate(cell):
        @functools.wraps(cell)
        def run(*args):
            if active(args[0]):
                kernel(*args)
            else:
                cell(*args)
        run.ufuncs, run.kernel = cell, kernel
        return run
    return decorate


# ---- the cells -------------------------------------------------------------------------------------------
# Each body reads as the equations in the docstring of its op's file; the gradients are computed into
# locals first and written over the gates last, since each is read by more than one of them.

RNN_TANH_FORWARD = CellKernel(
    "rnn_tanh_forward", "rec", "h_t", """
    h_t = tanh(h_t + rec);                         // h_t held x_t W_ih^T + b; rec = h_{t-1} W_hh^T
    """,
    arguments=lambda h, rec: (rec, h))

RNN_RELU_FORWARD = CellKernel(
    "rnn_relu_forward", "rec", "h_t", """
    h_t = relu(h_t + rec);
    """,
    arguments=lambda h, rec: (rec, h))

RNN_TANH_BACKWARD = CellKernel(
    "rnn_tanh_backward", "dh, h_t", "da", """
    da = dh * (1 - h_t * h_t);
    """,
    arguments=lambda dh, h, d: (dh, h, d))

RNN_RELU_BACKWARD = CellKernel(
    "rnn_relu_backward", "dh, h_t", "da", """
    da = dh * relu_grad(h_t);
    """,
    arguments=lambda dh, h, d: (dh, h, d))

LSTM_FORWARD = CellKernel(
    "lstm_forward", "c_prev", "i_t, f_t, o_t, g_t, c_t, tanh_c, h_t", """
    i_t = sigmoid(i_t);                            // the gates held their pre-activations a_t
    f_t = sigmoid(f_t);
    o_t = sigmoid(o_t);
    g_t = tanh(g_t);
    c_t = f_t * c_prev + i_t * g_t;
    tanh_c = tanh(c_t);
    h_t = o_t * tanh_c;
    """,
    arguments=lambda a, c_prev, c, tanh_c, h, scratch: (c_prev, *a, c, tanh_c, h))

LSTM_BACKWARD = CellKernel(
    "lstm_backward", "c_prev, tanh_c, dh", "i_t, f_t, o_t, g_t, dc, dc_t", """
    dc_t = dc + dh * o_t * (1 - tanh_c * tanh_c);  // the whole dL/dc_t
    T da_i = dc_t * g_t * i_t * (1 - i_t);
    T da_f = dc_t * c_prev * f_t * (1 - f_t);
    T da_o = dh * tanh_c * o_t * (1 - o_t);
    T da_g = dc_t * i_t * (1 - g_t * g_t);
    dc = dc_t * f_t;                               // dc_{t-1}
    i_t = da_i;
    f_t = da_f;
    o_t = da_o;
    g_t = da_g;
    """,
    arguments=lambda a, c_prev, tanh_c, dh, dc, dc_t, s: (c_prev, tanh_c, dh, *a, dc, dc_t))

GRU_FORWARD = CellKernel(
    "gru_forward", "h_n, h_prev", "r_t, z_t, n_t, h_t", """
    r_t = sigmoid(r_t);                            // r, z held x + h pre-activations, n held x_n
    z_t = sigmoid(z_t);
    n_t = tanh(n_t + r_t * h_n);                   // h_n = h_{t-1} W_hn^T + b_hn
    h_t = n_t + z_t * (h_prev - n_t);
    """,
    arguments=lambda a, h_n, h_prev, h, scratch: (h_n, h_prev, *a, h))

GRU_BACKWARD = CellKernel(
    "gru_backward", "h_prev", "r_t, z_t, n_t, h_n, dh", """
    T dn = dh * (1 - z_t) * (1 - n_t * n_t);
    T dz = dh * (h_prev - n_t) * z_t * (1 - z_t);
    T dr = dn * h_n * r_t * (1 - r_t);
    h_n = dn * r_t;                                // dh_n
    dh = dh * z_t;                                 // the direct path's share of dh_{t-1}
    r_t = dr;
    z_t = dz;
    n_t = dn;
    """,
    arguments=lambda a, h_n, h_prev, dh, s1, s2: (h_prev, *a, h_n, dh))

PEEPHOLE_LSTM_FORWARD = CellKernel(
    "peephole_lstm_forward", "c_prev, w_ci, w_cf, w_co", "i_t, f_t, g_t, o_t, c_t, tanh_c, h_t", """
    i_t = sigmoid(i_t + w_ci * c_prev);
    f_t = sigmoid(f_t + w_cf * c_prev);
    g_t = tanh(g_t);
    c_t = f_t * c_prev + i_t * g_t;
    o_t = sigmoid(o_t + w_co * c_t);               // the output gate sees the new cell
    tanh_c = tanh(c_t);
    h_t = o_t * tanh_c;
    """,
    arguments=lambda a, c_prev, c, tanh_c, h, peepholes, scratch: (c_prev, peepholes[0][0], peepholes[0][1],
                                                                   peepholes[1], *a, c, tanh_c, h))

PEEPHOLE_LSTM_BACKWARD = CellKernel(
    "peephole_lstm_backward", "c_prev, tanh_c, w_ci, w_cf, w_co, dh", "i_t, f_t, g_t, o_t, dc, dc_t", """
    T da_o = dh * tanh_c * o_t * (1 - o_t);
    dc_t = dc + dh * o_t * (1 - tanh_c * tanh_c) + da_o * w_co;
    T da_i = dc_t * g_t * i_t * (1 - i_t);
    T da_f = dc_t * c_prev * f_t * (1 - f_t);
    T da_g = dc_t * i_t * (1 - g_t * g_t);
    dc = dc_t * f_t + da_i * w_ci + da_f * w_cf;   // dc_{t-1}
    i_t = da_i;
    f_t = da_f;
    g_t = da_g;
    o_t = da_o;
    """,
    arguments=lambda a, c_prev, tanh_c, peepholes, dh, dc, dc_t, s: (c_prev, tanh_c, *peepholes, dh, *a, dc, dc_t))

KERNELS = (RNN_TANH_FORWARD, RNN_RELU_FORWARD, RNN_TANH_BACKWARD, RNN_RELU_BACKWARD, LSTM_FORWARD, LSTM_BACKWARD,
           GRU_FORWARD, GRU_BACKWARD, PEEPHOLE_LSTM_FORWARD, PEEPHOLE_LSTM_BACKWARD)

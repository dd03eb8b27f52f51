"""A hostile pass over the public API: every Tensor method and every function of `tr`, called with
arguments of every wrong kind (None, strings, floats, huge ints, lists, NaN, tensors, objects),
either works or raises one of the library's named errors (OpError and its TypeError/IndexError
kinds, GraphError, DeviceError, CheckpointError): never a bare TypeError, IndexError, ValueError,
OverflowError or ZeroDivisionError from deep inside, and never a hang.

A wrong number of arguments is Python's own TypeError, as in PyTorch, and is not counted."""

import signal

import pytest

import tinygrad_rnn as tr

NAMED = (tr.OpError, tr.GraphError, tr.DeviceError, tr.CheckpointError)
HOSTILE = [None, "abc", 1.5, -1, 10 ** 20, [], [1.5], (0, 0.5), True, float("nan"), object()]
SIGNATURE = ("positional argument", "required keyword", "unexpected keyword")

# calls with effects beyond their result (graphs run, files, global switches), and plumbing that
# takes no tensors (absent_getattr builds the module's __getattr__ from a module name)
NOT_CALLED = {"backward", "register_hook", "retain_grad", "save", "load", "set_grad_enabled", "no_grad",
              "enable_grad", "inference_mode", "detect_anomaly", "scope", "record_grad_norms", "gradcheck",
              "absent_getattr", "set_default_dtype", "use_deterministic_algorithms"}
METHODS = sorted(n for n in dir(tr.Tensor) if not n.startswith("_") and callable(getattr(tr.Tensor, n, None))
                 and n not in NOT_CALLED)
FUNCTIONS = sorted(n for n in dir(tr) if not n.startswith("_") and callable(getattr(tr, n))
                   and not isinstance(getattr(tr, n), type) and n not in NOT_CALLED)


def _sample():
    return tr.tensor([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]])


def _hostile_arguments():
    pool = HOSTILE + [tr.tensor([1.0, 2.0]), tr.tensor(2)]
    for a in pool:
        yield (a,)
        yield (0, a)
        yield (a, 0)


class _Timeout(Exception):
    pass


def _bare_errors(calls):
    """Every call that raised something other than a named error (or a wrong-arity TypeError)."""
    def stop(signum, frame):
        raise _Timeout()
    previous = signal.signal(signal.SIGALRM, stop)
    bad = []
    try:
        for describe, call in calls:
            signal.alarm(5)
            try:
                call()
            except NAMED:
                pass
            except _Timeout:
                bad.append(f"{describe}: did not return within 5 s")
            except Exception as exc:  # noqa: BLE001 (the point: any other exception is a finding)
                if not (isinstance(exc, TypeError) and any(s in str(exc) for s in SIGNATURE)):
                    bad.append(f"{describe}: {type(exc).__name__}: {str(exc)[:100]}")
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    return bad


@pytest.mark.parametrize("name", METHODS)
def test_tensor_method_answers_hostile_arguments_with_named_errors(name):
    calls = [(f"x.{name}{args!r:.40}", lambda args=args: getattr(_sample(), name)(*args))
             for args in _hostile_arguments()]
    assert _bare_errors(calls) == []


@pytest.mark.parametrize("name", FUNCTIONS)
def test_module_function_answers_hostile_arguments_with_named_errors(name):
    calls = [(f"tr.{name}{args!r:.40}", lambda args=args: getattr(tr, name)(*args)) for args in _hostile_arguments()]
    calls += [(f"tr.{name}(x, {a!r:.30})", lambda a=a: getattr(tr, name)(_sample(), a)) for a in HOSTILE]
    assert _bare_errors(calls) == []

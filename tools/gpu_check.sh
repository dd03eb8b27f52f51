#!/usr/bin/env bash
# The prepared check of the GPU path, for a machine with an NVIDIA GPU and CuPy:
#
#     tools/gpu_check.sh [REPORT]          (default: $OUT/gpu_report.md, or ./gpu_report.md without $OUT)
#
# It runs, each under its own time limit so that the whole fits in 8 minutes:
#   1. the device tests                  python -m pytest -k cuda (among them tests/test_kernels.py's
#                                        *_on_cuda_* tests: the fused cell kernels against NumPy)
#   2. every tutorial                    tutorials/0N_*.py --quick --device cuda
#   3. the demo                          python -m tinygrad_rnn demo --device cuda --steps 50
#   4. the benchmark                     tools/bench.py --device cuda --markdown (beside PyTorch on CUDA
#                                        where torch has CUDA, else alone)
#   5. the fused cell kernels' worth     one LSTM and one GRU training step on CUDA, milliseconds with the
#                                        kernels (tinygrad_rnn/kernels.py) and without (one ufunc per op)
# and writes one markdown report: the machine, each stage's result and time, the test summary,
# the fused kernels' tests and timings, the tutorials' results, the demo's last lines and the
# benchmark's tables. Nothing is installed:
# first `pip install -e ".[dev,cuda12]"` (or cuda13), and torch with CUDA for the PyTorch columns.
#
# Without a GPU the script can check itself on the strict CuPy stand-in (timings are then CPU ones):
#     PYTHONPATH=../shared/strict_cupy GPU_CHECK_SKIP_BENCH=1 tools/gpu_check.sh /tmp/gpu_report.md
#
# Environment: PYTHON (default python3), GPU_CHECK_SKIP_BENCH=1 skips stages 4 and 5 (the timings),
# GPU_CHECK_BUDGET_S (default 480) is the whole time, shared out as 140 : 190 : 60 : 70 : 20 s.
# Exit status: 0 when every stage passed, 1 when one failed or ran out of time, 2 without CUDA.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
REPORT=${1:-${OUT:-.}/gpu_report.md}
BUDGET=${GPU_CHECK_BUDGET_S:-480}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$(dirname "$REPORT")"
export MPLBACKEND=Agg PYTHONUNBUFFERED=1
failed=0

share() { echo $((BUDGET * $1 / 480)); }
say() { printf '%s\n' "$@" >>"$REPORT"; }
fence() { say '```text'; cat "$1" >>"$REPORT"; say '```' ''; }

# run LIMIT LOG CMD...: the command under `timeout`, its output in LOG; sets RC and SECS, remembers a failure
run() {
  local limit=$1 log=$2 t0=$SECONDS
  shift 2
  timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
  RC=$?
  SECS=$((SECONDS - t0))
  [ "$RC" -eq 0 ] || failed=1
}

verdict() {  # verdict RC: passed / failed (exit N) / ran out of time
  case $1 in
    0) echo "passed" ;;
    124|137) echo "ran out of time" ;;
    *) echo "failed (exit $1)" ;;
  esac
}

: >"$REPORT"
"$PY" - >"$WORK/machine.md" 2>&1 <<'EOF'
import platform
import subprocess

import numpy

import tinygrad_rnn as tr

print(f"- python {platform.python_version()}, numpy {numpy.__version__}, tinygrad_rnn {tr.__version__}", end="")
try:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f" at {commit}" if commit else "")
except OSError:
    print()
try:
    import cupy
    fake = getattr(cupy, "IS_FAKE", False)
    print(f"- CuPy {cupy.__version__}" + (" (THE CPU STAND-IN: every time below is a CPU time)" if fake else ""))
    props = cupy.cuda.runtime.getDeviceProperties(0)
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    print(f"- GPU 0: {name}, {props['totalGlobalMem'] / 2**30:.0f} GiB, compute capability "
          f"{props['major']}.{props['minor']}; CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}, driver "
          f"{cupy.cuda.runtime.driverGetVersion()}; {cupy.cuda.runtime.getDeviceCount()} device(s)")
except Exception as exc:  # no CuPy, or no GPU: the reason below says which
    print(f"- CuPy: {type(exc).__name__}: {exc}")
try:
    import torch
    print(f"- torch {torch.__version__}, torch.cuda.is_available() = {torch.cuda.is_available()}")
except ImportError:
    print("- torch: not installed (the benchmark runs without the PyTorch columns)")
print(f"- tr.cuda.is_available() = {tr.cuda.is_available()}"
      + ("" if tr.cuda.is_available() else f": {tr.cuda.unavailable_reason()}"))
if tr.cuda.is_available():
    from tinygrad_rnn import kernels
    on = kernels.active(tr.zeros(1, device="cuda").array)
    print(f"- fused cell kernels (tinygrad_rnn/kernels.py): {'on' if on else 'off: the ufunc cells run'}")
EOF
say "# GPU check of tinygrad_rnn" "" "$(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname)" ""
cat "$WORK/machine.md" >>"$REPORT"
say ""
if ! "$PY" -c "import sys, tinygrad_rnn as tr; sys.exit(0 if tr.cuda.is_available() else 1)" 2>/dev/null; then
  say "CUDA cannot be used here, so nothing was run (see the reason above)."
  echo "gpu_check: CUDA cannot be used here; see $REPORT" >&2
  exit 2
fi

stages=()
cat >"$WORK/summary.py" <<'EOF'
import json
import sys


def flat(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from flat(v, f"{prefix}{k} / ")
        elif isinstance(v, (int, float, str)):
            yield f"{prefix}{k}: {v:.4g}" if isinstance(v, float) else f"{prefix}{k}: {v}"


print("; ".join(flat(json.load(open(sys.argv[1]))))[:400].replace("|", "/"))
EOF

# 1. the device tests
run "$(share 140)" "$WORK/tests.log" "$PY" -m pytest -k cuda -p no:cacheprovider -rfEs
stages+=("| device tests (\`pytest -k cuda\`) | $(verdict $RC) | $SECS | $(share 140) |")
tests_log=$WORK/tests.log

# 2. every tutorial, quick, on cuda; each gets what is left of the stage's time
tutorial_rows=()
left=$(share 190)
t_stage=$SECONDS
tutorials_rc=0
for tutorial in tutorials/[0-9]*.py; do
  name=$(basename "$tutorial" .py)
  if [ "$left" -le 5 ]; then
    tutorial_rows+=("| $name | not run: the stage's time was spent | - | - |")
    tutorials_rc=124
    failed=1
    continue
  fi
  run "$left" "$WORK/$name.log" "$PY" "$tutorial" --quick --device cuda --out "$WORK/out/$name"
  result=$(verdict $RC)
  [ "$RC" -ne 0 ] && tutorials_rc=$RC
  summary=$("$PY" "$WORK/summary.py" "$WORK/out/$name/results.json" 2>/dev/null || echo "-")
  tutorial_rows+=("| $name | $result | $SECS | $summary |")
  left=$((left - SECS))
done
stages+=("| tutorials (\`--quick --device cuda\`) | $(verdict $tutorials_rc) | $((SECONDS - t_stage)) | $(share 190) |")

# 3. the demo, 50 steps
run "$(share 60)" "$WORK/demo.log" "$PY" -m tinygrad_rnn demo --device cuda --steps 50 --out "$WORK/demo"
stages+=("| demo (\`--device cuda --steps 50\`) | $(verdict $RC) | $SECS | $(share 60) |")

# 4. the benchmark: short timed rounds, so that twelve configurations fit
if [ "${GPU_CHECK_SKIP_BENCH:-0}" = 1 ]; then
  stages+=("| benchmark | skipped (GPU_CHECK_SKIP_BENCH=1) | - | - |")
  : >"$WORK/bench.log"
else
  run "$(share 70)" "$WORK/bench.log" "$PY" tools/bench.py --device cuda --markdown --repeats 7 --budget 3
  stages+=("| benchmark (\`tools/bench.py --device cuda --markdown\`) | $(verdict $RC) | $SECS | $(share 70) |")
fi

# 5. the fused cell kernels' worth: one training step with them and without, taking turns
cat >"$WORK/kernels.py" <<'EOF'
import statistics
import time

import tinygrad_rnn as tr
from tinygrad_rnn import backend, kernels, nn

sync = backend.xp_for("cuda").cuda.Device().synchronize
print("| layer (float32, T = 100, batch 32, 64 -> 256) | with the kernels (ms) | one ufunc per op (ms) |")
print("|---|---:|---:|")
for name, make in (("LSTM", nn.LSTM), ("GRU", nn.GRU)):
    tr.manual_seed(0)
    layer = make(64, 256).to("cuda")
    x = tr.randn(100, 32, 64, device="cuda")

    def step():
        out, _ = layer(x)
        (out * out).mean().backward()
        sync()
    times = {"fused": [], "ufuncs": []}
    for round_ in range(6):
        for way in times:
            t0 = time.perf_counter()
            if way == "fused":
                step()
            else:
                with kernels.disabled():
                    step()
            if round_:  # the first round compiles and warms up
                times[way].append(1000 * (time.perf_counter() - t0))
    print(f"| {name} | {statistics.median(times['fused']):.2f} | {statistics.median(times['ufuncs']):.2f} |")
EOF
if [ "${GPU_CHECK_SKIP_BENCH:-0}" = 1 ]; then
  stages+=("| fused cell kernels, with and without | skipped (GPU_CHECK_SKIP_BENCH=1) | - | - |")
  echo "not timed (GPU_CHECK_SKIP_BENCH=1)" >"$WORK/kernels.log"
else
  run "$(share 20)" "$WORK/kernels.log" "$PY" "$WORK/kernels.py"
  stages+=("| fused cell kernels, with and without | $(verdict $RC) | $SECS | $(share 20) |")
fi

say "| stage | result | seconds | limit (s) |" "|---|---|---:|---:|"
for row in "${stages[@]}"; do say "$row"; done
say "" "## Device tests" ""
grep -E "^(FAILED|ERROR)|passed|failed|error" "$tests_log" | tail -n 40 >"$WORK/tests.tail"
fence "$WORK/tests.tail"
say "## Fused cell kernels" "" "Their tests (tests/test_kernels.py) that failed or were skipped:" ""
grep -E "^(FAILED|ERROR|SKIPPED).*test_kernels.py" "$tests_log" >"$WORK/kernels.tail" || echo "none" >"$WORK/kernels.tail"
fence "$WORK/kernels.tail"
say "One training step (forward and backward) with the kernels and with one ufunc per op:" ""
cat "$WORK/kernels.log" >>"$REPORT"
say ""
say "## Tutorials (--quick --device cuda)" "" "| tutorial | result | seconds | results.json |" "|---|---|---:|---|"
for row in "${tutorial_rows[@]}"; do say "$row"; done
say ""
for log in "$WORK"/0*.log; do
  if ! grep -q "results.json" "$log"; then
    say "### $(basename "$log" .log): last lines"
    tail -n 25 "$log" >"$WORK/tail"
    fence "$WORK/tail"
  fi
done
say "## Demo (50 steps)" ""
grep -vE "^\[|step [0-9]+/" "$WORK/demo.log" | tail -n 12 >"$WORK/demo.tail"
fence "$WORK/demo.tail"
if [ -s "$WORK/bench.log" ]; then
  say "## Benchmark" ""
  cat "$WORK/bench.log" >>"$REPORT"
  say ""
fi
echo "gpu_check: report in $REPORT" >&2
exit $failed

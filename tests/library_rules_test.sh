#!/usr/bin/env bash
# The rules named after a library against the Python ports of the libraries' own code (tests/ports/), trial
# by trial and bit for bit, on files chosen to reach every path: the seed's data; noisy data with drawn
# factors (stalled trials) and lrfinder's smoothing and trim options (which must not touch a library rule);
# completed trials; a relative stop and a fastai-style scan (--stop-factor, --end-lr); losses that overflow
# to inf; three-point trials. Then every rule's answers, memcmp-equal across serial, cpu with 1 and 2
# threads and batch sizes.
#   tests/library_rules_test.sh LRFINDER SOURCE WORK
set -euo pipefail
lrfinder=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "library_rules_test: $*" >&2; exit 1; }

python3 - <<'PY'
import numpy as np
r = np.random.default_rng(3)
x = np.linspace(-2, 6, 60)
y = 2.5 * x + r.normal(0, 3, 60)
open("noisy.csv", "w").write("x,y\n" + "\n".join(f"{float(a)!r},{float(b)!r}" for a, b in zip(x, y)))
x = np.linspace(1e153, 3e153, 20)   # (y - w x)^2 overflows to inf once w moves off
open("huge.csv", "w").write("x,y\n" + "\n".join(f"{float(a)!r},{float(2 * a)!r}" for a in x))
PY

run() { "$lrfinder" run -q "$@" || fail "lrfinder run $*"; }
run -n 2000 -o seed.h5
run -n 2000 --data noisy.csv --linear-factors 1e-5:1e-3 --exp-factors 1.02:1.2 -o noisy.h5
run -n 2000 --data noisy.csv --linear-factors 1e-5:1e-3 --exp-factors 1.02:1.2 --smooth ema-debiased:0.9 \
  --skip-begin 3 --skip-end 2 --suggest lightning -o options.h5
run -n 1000 --epochs 30 --linear-factors 1e-6 --exp-factors 1.01 -o completed.h5
run -n 2000 --data noisy.csv --epochs 100 --end-lr 1 --stop-factor 4 -o stop.h5
run -n 500 --data huge.csv --diverge 1e308 --epochs 60 -o inf.h5
run -n 500 --epochs 2 -o three.h5
python3 - <<'PY' || fail "the files do not reach the paths the check is meant for"
import h5py, numpy as np
def status(name): return np.bincount(h5py.File(name)["/trials/status"][:], minlength=4)
assert status("noisy.h5")[2] > 0, "no stalled trial"
assert status("completed.h5")[1] > 0, "no completed trial"
assert status("stop.h5")[3] > 0, "no trial stopped by --stop-factor"
assert np.isinf(h5py.File("inf.h5")["/loss"][:]).any(), "no inf loss"
assert (h5py.File("three.h5")["/trials/steps"][:] == 2).all(), "not three-point trials"
PY
python3 "$src/tests/ports/check_library_rules.py" seed.h5 noisy.h5 options.h5 completed.h5 stop.h5 inf.h5 three.h5 ||
  fail "a library rule differs from its port"

# The same answers from every backend, thread count and batch size.
digest() { python3 - "$1" <<'PY'
import hashlib, sys, h5py
f = h5py.File(sys.argv[1])
print(hashlib.sha256(b"".join(f["/trials/suggest"][r][:].tobytes() for r in sorted(f["/trials/suggest"]))).hexdigest())
PY
}
args=(-n 3000 --data noisy.csv --linear-factors 1e-5:1e-3 --exp-factors 1.02:1.2)
run "${args[@]}" --backend serial -o a.h5
run "${args[@]}" --backend cpu --threads 1 --batch 700 -o b.h5
run "${args[@]}" --backend cpu --threads 2 -o c.h5
[ "$(digest a.h5)" = "$(digest b.h5)" ] && [ "$(digest a.h5)" = "$(digest c.h5)" ] ||
  fail "the rules' answers differ between backends, thread counts or batch sizes"
echo "library_rules_test: every library rule equals its port on every trial; answers equal across backends"

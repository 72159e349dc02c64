#!/bin/sh
# capture_real.sh — `tally run` over real libraries, not their printed
# formats copied by hand: scikit-learn's MLPClassifier(verbose=True)
# ("Iteration N, loss = x"), XGBoost's evaluation log ("[N]\ttrain-...")
# and a tqdm bar with a postfix, redrawn on stderr and closed (its end is
# drawn twice: logged once).  The export must hold each library's values
# at their steps, and nothing else.
set -eu
. "$TOP_SRCDIR/tests/integration/lib.sh"
[ -n "${PYTHON:-}" ] || skip "no Python with Debian's packages"
"$PYTHON" -c 'import sklearn, xgboost, tqdm' 2>/dev/null ||
    skip "python3-sklearn, python3-xgboost or python3-tqdm is not installed"

cat >"$TMP/train.py" <<'SCRIPT'
import json, sys, time
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier
import xgboost as xgb
from tqdm import tqdm
X, y = load_digits(return_X_y=True)
log = {}
mlp = MLPClassifier(hidden_layer_sizes=(16,), max_iter=4, verbose=True, random_state=0)
mlp.fit(X, y)
log["mlp"] = [round(l, 8) for l in mlp.loss_curve_]
d = xgb.DMatrix(X[:1200], label=y[:1200])
v = xgb.DMatrix(X[1200:], label=y[1200:])
hist = {}
xgb.train({"objective": "multi:softprob", "num_class": 10, "nthread": 1}, d, 4,
          evals=[(d, "train"), (v, "eval")], evals_result=hist)
log["xgb"] = hist
bar = tqdm(range(20), desc="fit", mininterval=0)
for i in bar:
    bar.set_postfix(loss=1 / (i + 1))
    time.sleep(0.005)
bar.close()
json.dump(log, open(sys.argv[1], "w"))
SCRIPT
"$TALLY" run --dir "$TMP/store" -- "$PYTHON" "$TMP/train.py" "$TMP/truth.json" \
    >"$TMP/out" 2>"$TMP/err" || fail "the training failed: $(tail -3 "$TMP/err")"
"$TALLY" export "$(ls "$TMP"/store/default/*.db)" >"$TMP/export.jsonl"
py "MLP losses, XGBoost's rounds and the bar's end, each at its step, and nothing else" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
truth = json.load(open(sys.argv[2]))
got = [{k: v for k, v in r.items() if k not in ("_timestamp", "_runtime")} for r in rows]
mlp = [(r["_step"], r["loss"]) for r in got if "loss" in r and "train-mlogloss" not in r and r["_step"] <= 4]
assert [s for s, _ in mlp] == [1, 2, 3, 4], got
assert all(abs(l - t) < 1e-7 for (_, l), t in zip(mlp, truth["mlp"])), (mlp, truth["mlp"])
rounds = [r for r in got if "train-mlogloss" in r]
assert len(rounds) == 4, got
# the rounds restart the count ([0] after Iteration 4): a segment after the last step
assert [r["_step"] for r in rounds] == [5, 6, 7, 8], rounds
for k, r in enumerate(rounds):
    for name in ("train", "eval"):
        want = truth["xgb"][name]["mlogloss"][k]
        assert abs(r[name + "-mlogloss"] - want) < 1e-4, (k, name, r, want)
bar = [r for r in got if "loss" in r and r["_step"] > 4]
assert len(bar) == 1 and bar[0]["loss"] == 0.05, got
keys = set().union(*got) - {"_step", "loss", "train-mlogloss", "eval-mlogloss"}
assert not keys, keys
' "$TMP/export.jsonl" "$TMP/truth.json"
finish

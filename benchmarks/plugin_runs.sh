#!/usr/bin/env bash
# The 2D plug-in runs of the Supp. Table 2 analogue (docs/results.md), resumable: a finished stage is
# skipped, a killed one continues from its checkpoint. One core per call (torch threads 1).
#
#   benchmarks/plugin_runs.sh data                              # train/val/test scenes (256x160)
#   benchmarks/plugin_runs.sh base higherhrnet 7200 runs/hh7    # base network, STEPS x 8
#   benchmarks/plugin_runs.sh reasoner higherhrnet hg 1200 runs/hh7   # + Reason (Hg) / dsed
set -euo pipefail
H=".venv/bin/hupor"
DATA="data.train=[runs/data/synth-train/annotations.json]"
VAL="data.val=[runs/data/synth-val/annotations.json]"
case "$1" in
  data)
    [ -f runs/data/synth-train/annotations.json ] || $H synth --out runs/data/synth-train --scenes 8000 --seed 30 --size 256x160 --people 1-6 --no-progress
    [ -f runs/data/synth-val/annotations.json ] || $H synth --out runs/data/synth-val --scenes 200 --seed 21 --size 256x160 --people 1-6 --no-progress
    [ -f runs/cp-test/crowdpose.json ] || $H synth --out runs/cp-test --scenes 200 --seed 9800 --size 256x160 --people 1-6 --crowdpose --no-progress ;;
  base)
    M=$2; STEPS=$3; OUT=$4
    [ -f "$OUT/bundle.pt" ] && exit 0
    R=""; [ -d "$OUT/checkpoints" ] && R="--resume"
    $H train detector --config "$M-cpu" --out "$OUT" $R "$DATA" "$VAL" "train.detector.steps=$STEPS" train.threads=1 train.progress_bar=false ;;
  reasoner)
    M=$2; KIND=$3; STEPS=$4; OUT=$5
    [ -f "$OUT-r/reasoner-$KIND/bundle.pt" ] && exit 0
    R=""; [ -d "$OUT-r/reasoner-$KIND" ] && R="--resume"
    $H train plugin --method "$M" --reasoner "$KIND" --base "$OUT/bundle.pt" --out "$OUT-r" $R "$DATA" "$VAL" \
      "train.reasoner.steps=$STEPS" train.threads=1 train.progress_bar=false ;;
  *) echo "usage: $0 data | base METHOD STEPS OUT | reasoner METHOD KIND STEPS OUT" >&2; exit 2 ;;
esac

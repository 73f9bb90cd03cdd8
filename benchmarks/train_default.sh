#!/usr/bin/env bash
# The learning campaign's whole recipe (configs/cpu-512.yaml, docs/training.md "The learning campaign") in
# one run: data, detector on 256x160 crops of the 512x320 input, DSED on skeleton scenes, the DSED on the
# frozen detector's maps, pairs, synthetic pairs, RefineNet, the person threshold -> OUT/model.pt.
#   benchmarks/train_default.sh [--out OUT] [--steps DET_STEPS] [--scenes N] [key=value ...]
# --steps sets the detector's steps; the other stages scale with it (reasoner 0.3x, reasoner on the
# detector 0.1x, RefineNet 0.075x). Extra key=value pairs go to every train command, e.g. a GPU:
#   HUPOR=.venv/bin/hupor benchmarks/train_default.sh --out runs/gpu --steps 40000 --scenes 8000 \
#       train.accelerator=gpu train.detector.batch_size=32 train.precision=auto
# A tiny CPU check of the whole chain: benchmarks/train_default.sh --out /tmp/tiny --steps 20 --scenes 12
# HUPOR: the hupor command (default: hupor on PATH). Run from the repository root.
set -euo pipefail
OUT=runs/campaign; STEPS=40000; SCENES=8000
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) OUT=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --scenes) SCENES=$2; shift 2 ;;
    *) break ;;
  esac
done
HUPOR=${HUPOR:-hupor}
scale() { local v=$(( $1 * $2 / 1000 )); (( v < 2 )) && v=2; echo $v; }
RSTEPS=$(scale "$STEPS" 300); DSTEPS=$(scale "$STEPS" 100); FSTEPS=$(scale "$STEPS" 75)
EVERY=$(( STEPS < 500 ? STEPS : 500 ))
VAL=$(( SCENES < 60 ? SCENES : 60 ))
SCENE=(--size 832x512 --people 1-6)
DATA=("data.train=[$OUT/synth-train/annotations.json]" "data.val=[$OUT/synth-val/annotations.json]")
COMMON=(train.progress_bar=false "train.checkpoint_every=$EVERY" "$@")

[[ -f $OUT/synth-train/annotations.json ]] || $HUPOR synth --out "$OUT/synth-train" --scenes "$SCENES" --seed 40 --workers 2 "${SCENE[@]}" --no-progress
[[ -f $OUT/synth-val/annotations.json ]] || $HUPOR synth --out "$OUT/synth-val" --scenes "$VAL" --seed 41 --workers 2 "${SCENE[@]}" --no-progress
# each stage is skipped when its result exists, so a killed run is started again with the same command
[[ -f $OUT/detector/bundle.pt ]] || $HUPOR train detector --config cpu-512 --out "$OUT/detector" "${DATA[@]}" "train.detector.steps=$STEPS" "${COMMON[@]}"
[[ -f $OUT/reasoner/reasoner.pt ]] || $HUPOR train reasoner --config cpu-512 --out "$OUT/reasoner" "train.reasoner.steps=$RSTEPS" "${COMMON[@]}"
[[ -f $OUT/reasoner-det/reasoner.pt ]] || $HUPOR train reasoner --config cpu-512 --out "$OUT/reasoner-det" --bundle "$OUT/detector/bundle.pt" \
  --init "$OUT/reasoner/reasoner.pt" data.reasoner_source=detector "${DATA[@]}" model.reasoner.student_decode=1.0 \
  "train.reasoner.steps=$DSTEPS" train.reasoner.lr=1e-3 train.reasoner.warmup_steps=2 "${COMMON[@]}"
$HUPOR train export --base "$OUT/detector/bundle.pt" --reasoner "$OUT/reasoner-det/reasoner.pt" --decode cpu-512 \
  --out "$OUT/det-reasoner.pt"
$HUPOR train pairs --config cpu-512 --bundle "$OUT/det-reasoner.pt" --records "$OUT/synth-train/annotations.json" \
  --limit 1500 --out "$OUT/pairs-train.npz"
$HUPOR train pairs --config cpu-512 --bundle "$OUT/det-reasoner.pt" --records "$OUT/synth-val/annotations.json" \
  --out "$OUT/pairs-val.npz"
if (( STEPS >= 4000 )); then
  $HUPOR train synth-pairs --config cpu-512 --calibrate "$OUT/pairs-train.npz" --scenes 40000 --seed 102 \
    --out "$OUT/synth-pairs.npz"
  PAIRS=("data.pairs=[$OUT/pairs-train.npz]" "data.val_pairs=[$OUT/pairs-val.npz]"
         "data.mix_pairs=[$OUT/synth-pairs.npz]" data.mix_ratio=0.8)
else
  # a tiny check: a detector this short decodes nobody, so there is no pair to calibrate on; the fixed
  # COCO noise model of the lifter stands in, and RefineNet trains on synthetic pairs alone
  $HUPOR train synth-pairs --config cpu-512 --noise coco --scenes 400 --seed 102 --out "$OUT/synth-pairs.npz"
  PAIRS=("data.pairs=[$OUT/synth-pairs.npz]" "data.val_pairs=[$OUT/synth-pairs.npz]")
fi
rm -rf "$OUT/refiner"   # cheap: always retrained on this run's pairs
$HUPOR train refiner --config cpu-512 --out "$OUT/refiner" --bundle "$OUT/det-reasoner.pt" "${PAIRS[@]}" \
  "train.refiner.steps=$FSTEPS" "train.refiner.step_every=$(( FSTEPS / 3 + 1 ))" "${COMMON[@]}"
# the person threshold, calibrated on validation seed 9200 (never a test seed)
$HUPOR bench threshold --bundle "$OUT/refiner/bundle.pt" --seed 9200 --scenes $(( STEPS < 4000 ? 4 : 60 )) \
  --out "$OUT/model.pt"
echo "wrote $OUT/model.pt"

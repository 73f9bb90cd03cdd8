#!/usr/bin/env bash
# Reproduce the bundled default model (the recipe of sessions 3-9; benchmarks/train_default.sh is the campaign's) src/hupor/assets/default.pt (cpu-s2: cpu-tiny networks with the
# stride-2 head, synthetic domain). About 150 minutes on a 2-core CPU: the detector (one core) runs
# beside the reasoner phases (the other core). Usage: benchmarks/train_default_s2.sh [OUT] [PART] [STEPS of reasoner-sd]
#   PART: all (default), data, detector, reasoner, reasoner-det, refiner, continue, reasoner-sd.
#   Run from the repository root.
#   The bundled model is "all" (session 3, ~150 min) followed by "continue" (session 4, ~110 min): the
#   detector trained 3000 more steps, then pairs, synthetic pairs and RefineNet again (docs/training.md).
#   "reasoner-sd" (session 9, after "continue"): the DSED retrained on the frozen detector's maps with its
#   student path decoded in training (model.reasoner.student_decode, docs/networks.md), then pairs and
#   RefineNet again; it writes OUT/refiner-sd/bundle.pt (docs/training.md says whether it was bundled).
#   A GPU user scales it with config keys alone, e.g. add train.accelerator=gpu train.detector.batch_size=32
#   to the train commands (docs/training.md).
set -euo pipefail
OUT=${1:-runs/default}
PART=${2:-all}
HUPOR=${HUPOR:-hupor}   # the hupor command (e.g. HUPOR=.venv/bin/hupor)
SCENE=(--size 256x160 --people 1-6)        # the generator's default occlusion mix
DATA=("data.train=[$OUT/synth-train/annotations.json]" "data.val=[$OUT/synth-val/annotations.json]")

# pairs from OUT/det-reasoner-TAG.pt, synthetic pairs (mocap skeleton scenes through the noise model measured
# on those pairs), then RefineNet on both (80 % synthetic) -> OUT/refiner-TAG/bundle.pt
pairs_and_refiner() {
  local T=$1
  $HUPOR train pairs --config cpu-s2 --bundle "$OUT/det-reasoner-$T.pt" \
    --records "$OUT/synth-train/annotations.json" --limit 1500 --out "$OUT/pairs-train-$T.npz"
  $HUPOR train pairs --config cpu-s2 --bundle "$OUT/det-reasoner-$T.pt" \
    --records "$OUT/synth-val/annotations.json" --out "$OUT/pairs-val-$T.npz"
  $HUPOR train synth-pairs --config cpu-s2 --calibrate "$OUT/pairs-train-$T.npz" --scenes 40000 --seed 102 \
    --out "$OUT/synth-pairs-$T.npz"
  $HUPOR train refiner --config cpu-s2 --out "$OUT/refiner-$T" --bundle "$OUT/det-reasoner-$T.pt" \
    "data.pairs=[$OUT/pairs-train-$T.npz]" "data.val_pairs=[$OUT/pairs-val-$T.npz]" \
    "data.mix_pairs=[$OUT/synth-pairs-$T.npz]" data.mix_ratio=0.8 train.refiner.steps=3000 train.refiner.step_every=1000
}

if [[ $PART == all || $PART == data ]]; then
  # rendered synthetic images (train: seed 20, held out: seed 21; the benchmarks use seeds >= 9000)
  $HUPOR synth --out "$OUT/synth-train" --scenes 8000 --seed 20 --workers 2 "${SCENE[@]}"
  $HUPOR synth --out "$OUT/synth-val" --scenes 60 --seed 21 --workers 2 "${SCENE[@]}"
fi
if [[ $PART == all || $PART == detector ]]; then
  # 3600 steps x batch 8, lr 3e-3, linear decay (cpu-s2.yaml); checkpoints every 300 steps are kept
  # for the learning curve (benchmarks/learning_curve.py)
  $HUPOR train detector --config cpu-s2 --out "$OUT/detector" "${DATA[@]}" &
  DET=$!
fi
if [[ $PART == all || $PART == reasoner ]]; then
  # DSED on on-the-fly skeleton-only scenes (data.synth of cpu-s2.yaml), 3000 steps x batch 4
  $HUPOR train reasoner --config cpu-s2 --out "$OUT/reasoner"
fi
if [[ $PART == all || $PART == reasoner-det ]]; then
  # the reasoner fine-tuned on the (frozen) detector's own maps (method §13: the reasoning module
  # trained on the detection module's outputs), from detector checkpoint step 2100 so that it runs
  # beside the detector's last steps
  while [[ ! -f "$OUT/detector/checkpoints/step=2100.ckpt" ]]; do sleep 30; done
  $HUPOR train export --detector "$OUT/detector/checkpoints/step=2100.ckpt" --decode cpu-s2 --out "$OUT/det-2100.pt"
  $HUPOR train reasoner --config cpu-s2 --out "$OUT/reasoner-det" --bundle "$OUT/det-2100.pt" \
    --init "$OUT/reasoner/reasoner.pt" data.reasoner_source=detector "${DATA[@]}" \
    train.reasoner.steps=1200 train.reasoner.lr=1e-3 train.reasoner.warmup_steps=20 train.checkpoint_every=400 \
    train.channels_last=true train.progress_bar=false
fi
if [[ ${DET:-} ]]; then wait "$DET"; fi
if [[ $PART == all || $PART == refiner ]]; then
  # final detector + reasoner in one bundle (decode: section of cpu-s2), pairs from it, then RefineNet
  $HUPOR train export --base "$OUT/detector/bundle.pt" --reasoner "$OUT/reasoner-det/reasoner.pt" \
    --decode cpu-s2 --out "$OUT/det-reasoner.pt"
  $HUPOR train pairs --config cpu-s2 --bundle "$OUT/det-reasoner.pt" \
    --records "$OUT/synth-train/annotations.json" --limit 1500 --out "$OUT/pairs-train.npz"
  $HUPOR train pairs --config cpu-s2 --bundle "$OUT/det-reasoner.pt" \
    --records "$OUT/synth-val/annotations.json" --out "$OUT/pairs-val.npz"
  $HUPOR train refiner --config cpu-s2 --out "$OUT/refiner" --bundle "$OUT/det-reasoner.pt" \
    "data.pairs=[$OUT/pairs-train.npz]" "data.val_pairs=[$OUT/pairs-val.npz]"
  cp "$OUT/refiner/bundle.pt" src/hupor/assets/default.pt
fi
if [[ $PART == continue ]]; then
  # 3000 more detector steps from the finished detector (lr 1.5e-3, linear decay), same data
  $HUPOR train detector --config cpu-s2 --out "$OUT/detector-2" --init "$OUT/detector/detector.pt" "${DATA[@]}" \
    train.detector.steps=3000 train.detector.lr=1.5e-3 train.detector.warmup_steps=50
  $HUPOR train export --detector "$OUT/detector-2/detector.pt" --reasoner "$OUT/reasoner-det/reasoner.pt" \
    --decode cpu-s2 --out "$OUT/det-reasoner-2.pt"
  pairs_and_refiner 2
  cp "$OUT/refiner-2/bundle.pt" src/hupor/assets/default.pt
fi
if [[ $PART == reasoner-sd ]]; then
  # the DSED of the bundle (OUT/det-reasoner-2.pt, or the shipped default if absent) fine-tuned on the frozen
  # detector's own maps with the student path decoded (student_decode 1), then pairs, synthetic pairs, RefineNet
  BASE="$OUT/det-reasoner-2.pt"; [[ -f $BASE ]] || BASE=src/hupor/assets/default.pt
  STEPS=${3:-2400}   # third argument: reasoner steps
  R=(--init "$BASE"); [[ -d "$OUT/reasoner-sd/checkpoints" ]] && R=(--resume)   # a killed run continues
  [[ -f "$OUT/reasoner-sd/reasoner.pt" ]] || $HUPOR train reasoner --config cpu-s2 --out "$OUT/reasoner-sd" "${R[@]}" \
    --bundle "$BASE" data.reasoner_source=detector "${DATA[@]}" model.reasoner.student_decode=1.0 \
    train.reasoner.steps="$STEPS" train.reasoner.lr=1e-3 train.reasoner.warmup_steps=20 train.checkpoint_every=400 \
    train.channels_last=true train.progress_bar=false
  $HUPOR train export --base "$BASE" --reasoner "$OUT/reasoner-sd/reasoner.pt" --decode cpu-s2 --out "$OUT/det-reasoner-sd.pt"
  pairs_and_refiner sd
fi

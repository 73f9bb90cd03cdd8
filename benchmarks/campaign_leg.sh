#!/usr/bin/env bash
# One leg of the learning campaign (docs/training.md, "The learning campaign"): starts or resumes a cpu-512
# run in STATE (outside the checkout, kept between sessions when the machine is), stops it after MINUTES
# (default 145: a leg is at most 150 minutes; the run resumes from its last checkpoint, every 500 steps),
# then refreshes the weights-only snapshot campaign/snapshot.pt (committed each leg): one bundle of the
# networks in training, the detector's and (once its run exists) the DSED's newest checkpoints; the DSED
# trains on skeleton-only scenes at 512x320 (data.synth of cpu-512.yaml). If STATE is lost, the next legs
# start from it with --init.
# Usage: benchmarks/campaign_leg.sh [STATE] [MINUTES] [STAGE] [extra key=value ...]   (from the repo root)
#   STAGE: detector (default) or reasoner. HUPOR: the hupor command (default: hupor on PATH).
#   Data (once): hupor synth --out STATE/synth-train --scenes 8000 --seed 40 --size 832x512 --people 1-6
#                hupor synth --out STATE/synth-val --scenes 60 --seed 41 --size 832x512 --people 1-6
# The detector run of session 14 was started with train.precision=32-true (this machine's CPU has no
# AVX-512 BF16); a resumed run must be given the same value, so the legs keep passing it.
set -uo pipefail
STATE=${1:-/work/campaign}
MINUTES=${2:-145}
STAGE=${3:-detector}
shift 3 || shift $#
HUPOR=${HUPOR:-hupor}
case $STAGE in
  detector) KEYS=("data.train=[$STATE/synth-train/annotations.json]" "data.val=[$STATE/synth-val/annotations.json]") ;;
  reasoner) KEYS=() ;;
  *) echo "campaign_leg.sh: STAGE must be detector or reasoner, got $STAGE" >&2; exit 2 ;;
esac
KEYS+=(train.progress_bar=false train.precision=32-true "$@")
if [[ -d $STATE/$STAGE/checkpoints ]]; then MODE=(--resume); else MODE=(); fi
timeout --signal=INT "${MINUTES}m" $HUPOR train "$STAGE" --config cpu-512 --out "$STATE/$STAGE" "${MODE[@]}" "${KEYS[@]}"
echo "leg ended with $? at $(date -u +%FT%TZ)"
mkdir -p campaign
PARTS=(--detector "$STATE/detector/checkpoints/last.ckpt")
[[ -f $STATE/reasoner/checkpoints/last.ckpt ]] && PARTS+=(--reasoner "$STATE/reasoner/checkpoints/last.ckpt")
$HUPOR train export "${PARTS[@]}" --decode cpu-512 --out campaign/snapshot.pt

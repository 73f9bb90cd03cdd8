#!/usr/bin/env bash
# One leg of the learning campaign (docs/training.md, "The campaign"): starts or resumes the cpu-512
# detector run in STATE (outside the checkout, kept between sessions when the machine is), stops it after
# MINUTES (default 145: a leg is at most 150 minutes; the run resumes from its last checkpoint, every 500
# steps), then writes the weights-only snapshot campaign/detector-snapshot.pt (a detector bundle, committed each leg).
# Usage: benchmarks/campaign_leg.sh [STATE] [MINUTES] [extra key=value ...]   (from the repository root)
#   Data (once): hupor synth --out STATE/synth-train --scenes 8000 --seed 40 --size 832x512 --people 1-6
#                hupor synth --out STATE/synth-val --scenes 60 --seed 41 --size 832x512 --people 1-6
set -uo pipefail
STATE=${1:-/work/campaign}
MINUTES=${2:-145}
shift 2 || shift $#
HUPOR=${HUPOR:-hupor}
KEYS=("data.train=[$STATE/synth-train/annotations.json]" "data.val=[$STATE/synth-val/annotations.json]"
      train.progress_bar=false train.precision=32-true "$@")
if [[ -d $STATE/detector/checkpoints ]]; then MODE=(--resume); else MODE=(); fi
timeout --signal=INT "${MINUTES}m" $HUPOR train detector --config cpu-512 --out "$STATE/detector" "${MODE[@]}" "${KEYS[@]}"
echo "leg ended with $? at $(date -u +%FT%TZ)"
# the network in training as a detector-only bundle (weights only, ~4 MB): a warm restart with --init when
# STATE is lost, and what the validation figures of the log are measured on
$HUPOR train export --detector "$STATE/detector/checkpoints/last.ckpt" --decode cpu-512 --out campaign/detector-snapshot.pt

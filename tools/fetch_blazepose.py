"""Extract MediaPipe BlazePose's tflite weights from the mediapipe 0.10.21 wheel on PyPI into
``src/hupor/assets/blazepose/`` (run once by a maintainer; the files are committed and shipped).

    python tools/fetch_blazepose.py [--wheel mediapipe-0.10.21-...whl] [--out src/hupor/assets/blazepose]

The weights are Apache-2.0 (the wheel's LICENSE is copied next to them). Only two files are taken:
``mediapipe/modules/pose_detection/pose_detection.tflite`` (person detector, 224×224 input) and
``mediapipe/modules/pose_landmark/pose_landmark_full.tflite`` (33 landmarks, 256×256 input). hupor
runs them with ``ai-edge-litert`` (``pip install "hupor[real]"``), never with mediapipe itself
(mediapipe 0.10.x needs protobuf<5, which cannot share an environment with onnx).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

VERSION = "0.10.21"
MEMBERS = {
    "mediapipe/modules/pose_detection/pose_detection.tflite": "pose_detection.tflite",
    "mediapipe/modules/pose_landmark/pose_landmark_full.tflite": "pose_landmark_full.tflite",
    f"mediapipe-{VERSION}.dist-info/LICENSE": "LICENSE",
}


def download(dest: Path) -> Path:
    """``pip download --no-deps mediapipe==VERSION`` (the current interpreter's wheel) into ``dest``."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", f"mediapipe=={VERSION}",
                    "-d", str(dest)], check=True)
    wheels = sorted(dest.glob(f"mediapipe-{VERSION}-*.whl"))
    if not wheels:
        raise SystemExit(f"pip download left no mediapipe-{VERSION} wheel in {dest}")
    return wheels[0]


def extract(wheel: Path, out: Path) -> list[tuple[str, int, str]]:
    """The three members into ``out``; returns (name, bytes, sha256) per file."""
    out.mkdir(parents=True, exist_ok=True)
    done = []
    with zipfile.ZipFile(wheel) as zf:
        for member, name in MEMBERS.items():
            data = zf.read(member)
            tmp = out / f".{name}.tmp"
            tmp.write_bytes(data)
            tmp.replace(out / name)
            done.append((name, len(data), hashlib.sha256(data).hexdigest()))
    return done


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", help="an already downloaded mediapipe wheel (default: pip download it)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "src/hupor/assets/blazepose"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = Path(args.wheel) if args.wheel else download(Path(tmp))
        for name, size, sha in extract(wheel, Path(args.out)):
            print(f"{name}: {size} bytes, sha256 {sha}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""CI (after pytest): the README's photo path, installed as docs/lift.md says, on one real photo.

    .venv-photo/bin/python .ci/photo_check.py OUT_DIR PHOTO

Checks the JSON ``hupor predict PHOTO --json-output OUT_DIR`` wrote: the real-photo model ran
(``model.method == "lift"``), one person was written for the one person in the photo, with finite 3D
in front of the camera. Exit 1 with a message otherwise.
"""

import json
import math
import sys
from pathlib import Path

out, photo = Path(sys.argv[1]), Path(sys.argv[2])
obj = json.loads((out / f"{photo.name}.json").read_text())
people = obj["persons"]
problems = []
if obj["model"].get("method") != "lift":
    problems.append(f"model.method is {obj['model'].get('method')!r}, not the real-photo path 'lift'")
if len(people) != 1:
    problems.append(f"{len(people)} people written for the one person in {photo.name}")
for p in people:
    z = p.get("root_depth_mm")
    if not (isinstance(z, (int, float)) and math.isfinite(z) and z > 0):
        problems.append(f"root depth {z!r} is not a positive number of mm")
if problems:
    print("photo check FAILED: " + "; ".join(problems))
    sys.exit(1)
print(f"photo check: {photo.name}: 1 person, root depth {people[0]['root_depth_mm']:.0f} mm, "
      f"model {obj['model'].get('detector_2d')}")

"""The README's Python example runs as written (on the bundled sample image)."""

import re
from pathlib import Path

import hupor

README = Path(__file__).parents[2] / "README.md"


def test_readme_python_example_runs(capsys):
    block = re.search(r"```python\n(from hupor[ .].*?)```", README.read_text(), re.S).group(1)
    sample = Path(hupor.__file__).parent / "assets" / "demo_scene.jpg"
    exec(compile(block.replace('"photo.jpg"', repr(str(sample))), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Intrinsics(fx=" in out and " fov" in out  # the source of the intrinsics is printed

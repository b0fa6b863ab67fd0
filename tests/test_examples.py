"""Every example runs, and prints exactly its golden output in tests/golden/NAME.out (SimPy's pattern).

To refresh a golden file after an intended change: ``python examples/NAME.py > tests/golden/NAME.out``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_output_matches_golden(script: Path) -> None:
    """The example prints its golden output, byte for byte."""
    golden = ROOT / "tests" / "golden" / f"{script.stem}.out"
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=600, check=False
    )
    assert 0 == result.returncode, result.stderr
    assert golden.read_text() == result.stdout


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_follows_the_pattern(script: Path) -> None:
    """The example has Scenario and Covers sections, a SEED constant and a main()."""
    text = script.read_text()
    for needle in ("Scenario", "Covers", "SEED", "def main(", 'if __name__ == "__main__":'):
        assert needle in text, f"{script.name} lacks {needle!r}"

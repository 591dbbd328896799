"""The front door stays true: the README's broker table is the one the profiles generate."""

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_brokers_table_matches_profiles():
    mod = runpy.run_path(str(ROOT / "scripts" / "update_readme.py"), run_name="check")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert mod["render"](text) == text, "README.md's brokers table is stale: run `make readme`"


def test_readme_shows_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text

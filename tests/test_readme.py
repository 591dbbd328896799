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


def test_readme_python_example_runs():
    """The README's Python example is run as it stands (it must not rot)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## In Python", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["ans"].leverage == 30.0
    assert str(namespace["result"].stats["final_equity"]) != ""

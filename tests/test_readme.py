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


def _cli_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## On the command line", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines, cur = [], ""
    for raw in block.splitlines():
        cur += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            if cur.strip():
                lines.append(cur.strip())
            cur = ""
    return [part.strip() for line in lines for part in line.split("&&")]


def test_readme_cli_examples_parse():
    """Every command in the README names a real command with real options (parsed, not run)."""
    import shlex

    import typer

    from leverlab.cli import app

    root = typer.main.get_command(app)
    lines = _cli_lines()
    assert len(lines) >= 12
    for line in lines:
        argv = shlex.split(line.split("#", 1)[0])
        assert argv[0] == "leverlab", line
        cmd, args, ctx = root, argv[1:], None
        while hasattr(cmd, "resolve_command"):  # a group: descend to the named command
            ctx = cmd.make_context(cmd.name, list(args), parent=ctx)
            _, cmd, args = cmd.resolve_command(ctx, args)
        cmd.make_context(cmd.name, list(args), parent=ctx)  # raises on an unknown option or bad value

"""The README's "Bring your own data" commands are real commands."""

from __future__ import annotations


def test_readme_bring_your_own_data_commands_parse():
    """Every command in the README's "Bring your own data" block names real options (parsed, not run)."""
    import shlex
    from pathlib import Path

    import typer

    from leverlab.cli import app

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = text.split("## Bring your own data", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines = [ln.split("#", 1)[0].strip() for ln in block.splitlines() if ln.strip()]
    assert len(lines) >= 5
    root = typer.main.get_command(app)
    for line in lines:
        argv = shlex.split(line)
        assert argv[:2] == ["leverlab", "data"], line
        ctx = root.make_context("leverlab", argv[1:])
        _, grp, args = root.resolve_command(ctx, argv[1:])
        gctx = grp.make_context("data", args, parent=ctx)
        _, cmd, rest = grp.resolve_command(gctx, args)
        cmd.make_context(cmd.name, rest, parent=gctx)  # raises on an unknown option or bad value
    for option in ("--tz", "--date-format", "--replace", "--replace-range", "verify", "delete", "--store",
                   "LEVERLAB_STORE"):
        assert option in text.split("## Bring your own data", 1)[1].split("\n## ", 1)[0], option

"""YAML is read safely and within limits: an alias bomb, a huge file or deep nesting fails at once
with a ProfileError naming the file, instead of hanging or raising RecursionError."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from leverlab.brokers import ProfileError, load_all, load_broker, parse_profile
from leverlab.brokers import regulation as regulation_module
from leverlab.brokers.loader import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, PROFILES_DIR, read_text, read_yaml


def _bomb() -> str:
    """The classic "billion laughs" (342 bytes): nine levels of nine aliases, 9**9 strings once expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [{','.join([f'*{prev}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_fails_fast_naming_the_file(tmp_path: Path) -> None:
    bomb = tmp_path / "laughs.yaml"
    bomb.write_text(_bomb())
    assert bomb.stat().st_size == 342
    code = ("from leverlab.brokers import load_broker, ProfileError\n"
            f"try:\n    load_broker({str(bomb)!r})\nexcept ProfileError as e:\n    print(e)\n")
    start = time.monotonic()
    try:  # a subprocess, so a loader that hangs fails this test instead of hanging the suite
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("loading a 342-byte alias bomb did not finish within 60 s")
    assert out.returncode == 0, out.stderr
    assert "laughs.yaml:" in out.stdout and "aliases are expanded" in out.stdout, out.stdout
    assert time.monotonic() - start < 30
    t0 = time.monotonic()
    with pytest.raises(ProfileError, match=r"bomb\.yaml:\d+: YAML refused: more than 20,000 values"):
        parse_profile(_bomb(), "bomb.yaml")
    assert time.monotonic() - t0 < 1


def test_huge_file_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "huge.yaml"
    with open(big, "wb") as f:
        f.truncate(49_000_000)  # a sparse 49 MB file
    t0 = time.monotonic()
    with pytest.raises(ProfileError, match=rf"huge\.yaml: file is larger than the limit of {MAX_BYTES:,} bytes"):
        load_broker(str(big))
    with pytest.raises(ProfileError, match=r"big\.yaml: text is larger than the limit"):
        parse_profile("a: " + "x" * MAX_BYTES, "big.yaml")
    assert time.monotonic() - t0 < 2


@pytest.mark.parametrize("text", [
    "a: " + "[" * 100_000 + "]" * 100_000,
    "a: " + "{b: " * 5_000 + "1" + "}" * 5_000,
    "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 400)),
    "a:\n" + "".join(" " * i + "-\n" for i in range(1, 400)),
], ids=["flow sequences", "flow mappings", "block mappings", "block sequences"])
def test_deep_nesting_fails_fast_without_recursion_error(text: str) -> None:
    t0 = time.monotonic()
    with pytest.raises(ProfileError, match=rf"deep\.yaml:\d+: YAML refused: nested deeper than {MAX_DEPTH} levels"):
        parse_profile(text, "deep.yaml")
    assert time.monotonic() - t0 < 2


def test_alias_limits() -> None:
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(ProfileError, match=rf"many\.yaml:2: YAML refused: more than {MAX_ALIASES} aliases"):
        parse_profile(many, "many.yaml")
    with pytest.raises(ProfileError, match=r"cycle\.yaml:1: YAML refused: alias \*a refers to a collection that "
                                           r"contains it"):
        parse_profile("a: &a [1, *a]\n", "cycle.yaml")


def test_bundled_files_are_within_the_limits() -> None:
    """The bundled profiles use anchors and aliases; they stay allowed."""
    assert "&" in (PROFILES_DIR / "exness.yaml").read_text() and len(load_all()) >= 10
    assert regulation_module.regulation().regimes


@pytest.mark.parametrize(("text", "words"), [
    ("as_of: 2025-13-45\n", r"x\.yaml:1: not valid YAML: cannot read '2025-13-45'"),
    ("a: " + "9" * 5000 + "\n", r"x\.yaml:1: not valid YAML: cannot read '9999"),
    ("a: !!python/object/apply:os.system ['true']\n", r"x\.yaml:1: not valid YAML"),
    ("a: 1\n---\nb: 2\n", r"x\.yaml:\d+: not valid YAML"),
])
def test_what_the_safe_loader_refuses_is_a_profile_error(text: str, words: str) -> None:
    with pytest.raises(ProfileError, match=words):
        parse_profile(text, "x.yaml")


def test_not_utf8(tmp_path: Path) -> None:
    f = tmp_path / "latin.yaml"
    f.write_bytes("name: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(ProfileError, match=r"latin\.yaml: not UTF-8 text"):
        load_broker(str(f))


def test_regulation_file_is_read_within_the_same_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = tmp_path / "regulation.yaml"
    bomb.write_text(_bomb())
    monkeypatch.setattr(regulation_module, "REGULATION_FILE", bomb)
    regulation_module.regulation.cache_clear()
    try:
        with pytest.raises(ProfileError, match=r"regulation\.yaml:\d+: YAML refused"):
            regulation_module.regulation()
    finally:
        regulation_module.regulation.cache_clear()
    real = Path(regulation_module.__file__).with_name("regulation.yaml")
    assert read_yaml(read_text(real), "r.yaml")[0]["schema_version"] == 1


def test_a_key_twice_in_a_mapping_is_refused() -> None:
    """YAML keeps the last of two equal keys silently; a profile with a figure given twice fails instead."""
    text = (PROFILES_DIR / "exness.yaml").read_text(encoding="utf-8")
    old = "    stop_out: {value: 0, source: mcso, confidence: high}\n"
    assert old in text
    text = text.replace(old, old + "    stop_out: {value: 30, source: mcso, confidence: high}\n", 1)
    line = text[:text.index(old)].count("\n") + 2
    with pytest.raises(ProfileError, match=rf"twice\.yaml:{line}: YAML refused: key 'stop_out' appears twice"):
        parse_profile(text, "twice.yaml")

"""The report and its picture are one pair: written whole, or the previous pair is left as it was."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from leverlab.analysis.compare import compare
from leverlab.analysis.report import write_report
from leverlab.data import load


@pytest.fixture(scope="module")
def comparison():
    return compare(load("sample:eurusd-h1").take(slice(0, 2_000)), "sma_cross", deposit=1_000, brokers=["exness"],
                   workers=1)


def _yesterday(folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.html").write_bytes(b"<html>yesterday</html>")
    (folder / "report.png").write_bytes(b"yesterday's picture")
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_a_directory_in_the_html_place_leaves_the_old_picture(tmp_path, comparison):
    folder = tmp_path / "rep"
    before = _yesterday(folder)
    (folder / "report.html").unlink()
    (folder / "report.html").mkdir()
    before.pop("report.html")
    with pytest.raises(OSError, match="is a directory"):
        write_report(comparison, folder / "report.html", folder / "report.png")
    assert _state(folder) == before  # the PNG is yesterday's, no temporary file is left


def test_a_failure_in_the_second_write_leaves_the_previous_pair(tmp_path, comparison, monkeypatch):
    folder = tmp_path / "rep"
    before = _yesterday(folder)

    def full_disk(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_report(comparison, folder / "report.html", folder / "report.png")
    assert _state(folder) == before


def test_a_failed_rename_undoes_the_first_one(tmp_path, comparison, monkeypatch):
    import os

    folder = tmp_path / "rep"
    before = _yesterday(folder)
    real = os.replace

    def refuse_html(src, dst):
        if str(dst).endswith("report.html") and ".tmp" in str(src):
            raise OSError(errno.EIO, "input/output error")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", refuse_html)
    with pytest.raises(OSError, match="input/output"):
        write_report(comparison, folder / "report.html", folder / "report.png")
    assert _state(folder) == before


def test_without_a_previous_pair_a_failure_leaves_nothing(tmp_path, comparison, monkeypatch):
    folder = tmp_path / "new"
    monkeypatch.setattr(Path, "write_text", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    with pytest.raises(OSError):
        write_report(comparison, folder / "report.html", folder / "report.png")
    assert list(folder.iterdir()) == []


def test_success_replaces_both(tmp_path, comparison):
    folder = tmp_path / "rep"
    _yesterday(folder)
    write_report(comparison, folder / "report.html", folder / "report.png")
    assert (folder / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert (folder / "report.png").read_bytes()[:4] == b"\x89PNG" and sorted(_state(folder)) == ["report.html",
                                                                                                  "report.png"]

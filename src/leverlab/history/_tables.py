"""A statement file as rows of cell texts, in document order: HTML (UTF-8, UTF-16 or a legacy code page,
parsed by lxml) or an XLSX workbook's first sheet (openpyxl). The readers find their tables in these
rows by structure, never by the words of a header (which the terminal writes in the user's language)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..times import to_ns
from .model import StatementError


@dataclass(frozen=True)
class Sheet:
    """The rows of one file and what it was (``html`` or ``xlsx``); ``head`` is text before the first table
    (MT4 prints the company there)."""

    path: str
    kind: str
    rows: list[list[str]]
    head: list[str]


def _decode(raw: bytes) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    if raw[:3] == b"\xef\xbb\xbf":
        return raw[3:].decode("utf-8")
    if len(raw) > 3 and raw[1] == 0 and raw[3] == 0:  # UTF-16LE without a byte-order mark
        return raw.decode("utf-16-le")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _clean(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def read_html(path: Path, raw: bytes) -> Sheet:
    """Rows of every ``<tr>`` (cells ``<td>``/``<th>``, text only); StatementError when the file is cut short
    (no closing ``</html>``) or has no table."""
    from lxml import html as lxml_html

    text = _decode(raw)
    if "</html>" not in text[-4096:].lower():
        raise StatementError(f"{path}: the HTML ends before its closing </html> tag (after {len(raw):,} bytes): "
                             f"the file looks truncated; expected a complete MetaTrader report")
    try:
        doc = lxml_html.document_fromstring(text)
    except Exception as exc:  # noqa: BLE001 - lxml raises several kinds for unreadable input
        raise StatementError(f"{path}: not readable as HTML ({exc}); expected a MetaTrader report") from None
    rows = []
    for tr in doc.iter("tr"):
        rows.append([_clean(td.text_content()) for td in tr if isinstance(td.tag, str) and td.tag in ("td", "th")])
    if not rows:
        raise StatementError(f"{path}: an HTML page without any table; expected a MetaTrader report "
                             f"(MT4 DetailedStatement, MT5 trade history or Strategy Tester report)")
    head = []
    body = doc.find("body")
    for el in (body.iter() if body is not None else ()):
        if el.tag == "table":
            break
        if isinstance(el.tag, str) and el.text and el.text.strip():
            head.append(_clean(el.text))
    return Sheet(str(path), "html", rows, head)


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)  # the shortest text that reads back as this float: 0.6946, not 0.69459999...
    if isinstance(v, datetime):
        return v.strftime("%Y.%m.%d %H:%M:%S")
    return _clean(str(v))


def read_xlsx(path: Path) -> Sheet:
    """Rows of the workbook's first sheet (values as text, trailing empty cells dropped)."""
    import warnings

    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MetaTrader's workbooks carry no default style
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise StatementError(f"{path}: not a readable XLSX workbook ({exc}); expected an MT5 trade history "
                             f"report saved as Excel") from None
    try:
        ws = wb.worksheets[0]
        rows = []
        for r in ws.iter_rows(values_only=True):
            cells = [_cell(v) for v in r]
            while cells and cells[-1] == "":
                cells.pop()
            rows.append(cells)
    finally:
        wb.close()
    return Sheet(str(path), "xlsx", rows, [])


def read_sheet(path: str | Path) -> Sheet:
    """The rows of a statement file, by its content (an XLSX is a zip; anything else is read as HTML)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise StatementError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
    if not raw.strip():
        raise StatementError(f"{p}: the file is empty; expected a MetaTrader statement or report")
    if raw[:2] == b"PK":
        return read_xlsx(p)
    probe = _decode(raw[:4096]).lower()
    if "<" not in probe or not any(tag in probe for tag in ("<html", "<table", "<!doctype", "<tr", "<head")):
        raise StatementError(f"{p}: neither HTML nor an XLSX workbook (starts with {raw[:24]!r}); expected a "
                             f"MetaTrader report: MT4 DetailedStatement.htm, MT5 ReportHistory (.html or .xlsx) "
                             f"or MT5 ReportTester.html")
    return read_html(p, raw)


# ------------------------------------------------------------------ cell readers
def is_time(text: str) -> bool:
    """``2024.09.18 09:57:14`` (or without seconds; ``-`` or ``/`` separators)."""
    return parse_time(text) is not None


def parse_time(text: str) -> int | None:
    """Server wall-clock ns (read as UTC) of a MetaTrader time, None if ``text`` is not one."""
    t = text.strip().replace("/", ".").replace("-", ".")
    for fmt in ("%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y.%m.%d"):
        try:
            return to_ns(datetime.strptime(t, fmt))
        except ValueError:
            continue
    return None


def parse_number(text: str) -> Decimal | None:
    """A number as MetaTrader prints it (``1 769.70``, ``-0.04``, ``1,234.5``), None when it is not one."""
    t = text.replace(" ", "").replace("\xa0", "")
    if not t:
        return None
    if "," in t and "." in t:
        t = t.replace(",", "")
    elif "," in t:
        t = t.replace(",", ".") if t.count(",") == 1 and len(t.split(",")[1]) != 3 else t.replace(",", "")
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def parse_volume(text: str) -> tuple[Decimal, Decimal] | None:
    """``0.02 / 0.05`` -> (0.02, 0.05) (filled / asked, or closed / opened); ``1`` -> (1, 1)."""
    left, sep, right = text.partition("/")
    a = parse_number(left)
    b = parse_number(right) if sep else a
    if a is None or b is None:
        return None
    return a, b

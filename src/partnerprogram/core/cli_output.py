"""Output helpers shared by the management commands: JSON, CSV and aligned text tables.

Commands print to stdout or write ``--output FILE``; errors go to stderr with exit code 2
(``CommandError(returncode=2)``).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError


def json_default(value: Any) -> Any:
    """``json.dumps`` hook: Decimal -> float (money and fractions), dates -> ISO 8601."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def to_json(data: Any) -> str:
    """Pretty, stable JSON (keys in insertion order, UTF-8 kept)."""
    return json.dumps(data, default=json_default, ensure_ascii=False, indent=2)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text with a header row (comma-separated, RFC 4180 quoting)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue()


def to_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Plain text table, columns padded; numbers right-aligned."""
    cells = [[str(h) for h in header]] + [
        ["" if c is None else str(c) for c in row] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    numeric = [
        all(_is_number(r[i]) for r in cells[1:] if r[i]) and len(cells) > 1
        for i in range(len(header))
    ]
    lines = []
    for n, row in enumerate(cells):
        parts = [
            cell.rjust(widths[i]) if numeric[i] and n else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return False
    return True


def write_output(text: str, *, output: str | None, stdout: Any) -> None:
    """Write ``text`` to the file ``output`` (UTF-8) or to the command's stdout."""
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{output}: cannot write: {exc.strerror}", returncode=2) from exc
    else:
        stdout.write(text, ending="" if text.endswith("\n") else "\n")


def check_output(output: str | None) -> None:
    """Refuse, before any work is done, an ``--output`` file that cannot be written (missing
    folder, a folder given as the file, no permission): CommandError, exit 2."""
    if not output:
        return
    path = Path(output)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CommandError(f"--output {output}: is a folder, give a file name", returncode=2)
    if not folder.is_dir():
        raise CommandError(f"--output {output}: folder {folder} does not exist", returncode=2)
    if not os.access(folder, os.W_OK):
        raise CommandError(f"--output {output}: folder {folder} is not writable", returncode=2)


def parse_date(text: str, *, option: str) -> date:
    """Parse an ISO date given to ``option``; a bad value is a CommandError (exit 2)."""
    try:
        value = date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            f"{option} {text!r}: not a date, expected YYYY-MM-DD", returncode=2
        ) from exc
    if not (date(1900, 1, 1) <= value <= date(2199, 12, 31)):
        raise CommandError(f"{option} {text!r}: out of range (1900..2199)", returncode=2)
    return value


def percent(value: Decimal | float | None, places: int = 1) -> str:
    """``0.6512`` -> ``65.1 %``; ``None`` -> ``n/a``."""
    if value is None:
        return "n/a"
    return f"{float(value) * 100:.{places}f} %"

"""Uploaded files kept between the console's preview and its confirmation.

An upload is stored under its SHA-256 (``upload_store``), so the confirmation applies the very
bytes that were previewed: the file is found again by the hash recorded in the preview's
``ImportRun`` (``upload_path``) and ``file_import`` checks the hash once more before reading.
The folder is ``settings.IMPORT_UPLOAD_DIR`` (default ``var/imports`` under the project home).
Files older than ``UPLOAD_MAX_AGE`` (a day) are removed when a new one is stored.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import IO

from django.conf import settings

UPLOAD_MAX_AGE = 24 * 3600
_CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def upload_dir() -> Path:
    """The folder holding uploads (created on demand)."""
    folder = Path(getattr(settings, "IMPORT_UPLOAD_DIR", settings.BASE_DIR / "var" / "imports"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def upload_store(stream: IO[bytes]) -> tuple[str, Path]:
    """Copy ``stream`` into the upload folder; returns ``(sha256 hex, path)``. Storing the same
    bytes twice keeps one file."""
    folder = upload_dir()
    _prune(folder)
    digest = hashlib.sha256()
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        sha256 = digest.hexdigest()
        target = folder / sha256
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return sha256, target


def upload_path(sha256: str) -> Path | None:
    """The stored upload with this hash, or ``None`` (unknown, malformed or expired)."""
    if not _SHA256.match(sha256 or ""):
        return None
    path = upload_dir() / sha256
    return path if path.is_file() else None


def _prune(folder: Path) -> None:
    limit = time.time() - UPLOAD_MAX_AGE
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
        except OSError:  # pragma: no cover - a concurrent prune
            continue

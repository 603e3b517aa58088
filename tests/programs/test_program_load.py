"""`program load`: validated, all or nothing, immutable once published."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partnerprogram.programs.models import Program, ProgramVersion
from partnerprogram.programs.selectors import program_definition

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
program: acme
name: Acme partners
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: 2026-01-01
tiers: [ready, gold]
tracks: {resell: {}}
requirements:
  resell:
    gold: {metric: certified_people, at_least: 3}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_load_twice_is_unchanged(tmp_path: Path) -> None:
    path = _write(tmp_path, "acme.yaml", GOOD)
    out = StringIO()
    call_command("program", "load", str(path), "--format", "json", stdout=out)
    first = json.loads(out.getvalue())
    assert first["versions"][0]["status"] == "created"
    out = StringIO()
    call_command("program", "load", str(path), "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["versions"][0]["status"] == "unchanged"
    version = ProgramVersion.objects.get()
    assert version.sha256 == first["versions"][0]["sha256"]
    assert program_definition(version).requirement("resell", "gold") is not None


@pytest.mark.django_db
def test_published_version_is_immutable(tmp_path: Path) -> None:
    call_command("program", "load", str(_write(tmp_path, "a.yaml", GOOD)), stdout=StringIO())
    changed = _write(tmp_path, "b.yaml", GOOD.replace("at_least: 3", "at_least: 2"))
    with pytest.raises(CommandError) as err:
        call_command("program", "load", str(changed), stdout=StringIO())
    assert err.value.returncode == 2
    assert "already published with other content" in str(err.value)
    assert ProgramVersion.objects.get().definition["requirements"]["resell"]["gold"][
        "at_least"
    ] in (3, "3")


@pytest.mark.django_db
def test_invalid_file_refused_with_path_and_nothing_stored(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.yaml", GOOD.replace('version: "1"', 'version: "2"'))
    bad = _write(tmp_path, "bad.yaml", GOOD.replace("at_least: 3", "at_least: -3"))
    with pytest.raises(CommandError) as err:
        call_command("program", "load", str(good), str(bad), stdout=StringIO())
    assert err.value.returncode == 2
    message = str(err.value)
    assert f"{bad}: requirements.resell.gold.at_least:" in message
    assert "nothing stored" in message
    assert ProgramVersion.objects.count() == 0 and Program.objects.count() == 0


@pytest.mark.django_db
def test_same_version_in_two_files_is_refused(tmp_path: Path) -> None:
    a = _write(tmp_path, "a.yaml", GOOD)
    b = _write(tmp_path, "b.yaml", GOOD.replace("at_least: 3", "at_least: 4"))
    with pytest.raises(CommandError) as err:
        call_command("program", "load", str(a), str(b), stdout=StringIO())
    assert "also declared by" in str(err.value)
    assert ProgramVersion.objects.count() == 0


@pytest.mark.django_db
def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as err:
        call_command("program", "load", str(tmp_path / "nope.yaml"), stdout=StringIO())
    assert err.value.returncode == 2
    assert "nope.yaml" in str(err.value)


@pytest.mark.django_db
def test_shipped_versions_load() -> None:
    paths = sorted((ROOT / "programs" / "pex-fr").glob("*.yaml"))
    assert [p.name for p in paths] == ["2026.1.yaml", "2026.2.yaml"]
    call_command("program", "load", *map(str, paths), stdout=StringIO())
    versions = dict(ProgramVersion.objects.values_list("version", "effective_from"))
    assert {k: v.isoformat() for k, v in versions.items()} == {
        "2026.1": "2026-07-01",
        "2026.2": "2026-09-01",
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            GOOD.replace("2026-01-01", "2026-02-30").encode(),
            "invalid YAML: invalid date '2026-02-30': day is out of range for month (line 7,",
        ),
        (
            GOOD.replace("at_least: 3", "at_least: 1e400").encode(),
            "requirements.resell.gold.at_least: must be less than 1,000,000,000,000,000",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\xff", "not UTF-8 text (byte 0x89 at offset 0)"),
        ("name: Société\n".encode("cp1252"), "not UTF-8 text (byte 0xe9 at offset 10)"),
    ],
)
@pytest.mark.django_db
def test_bad_files_are_refused_without_a_traceback(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(CommandError) as err:
        call_command("program", "load", str(path), stdout=StringIO())
    assert err.value.returncode == 2
    assert f"{path}: {expected}" in str(err.value)
    assert ProgramVersion.objects.count() == 0


@pytest.mark.django_db
def test_two_versions_starting_the_same_day_are_refused(tmp_path: Path) -> None:
    call_command("program", "load", str(_write(tmp_path, "v1.yaml", GOOD)), stdout=StringIO())
    other = _write(tmp_path, "v2.yaml", GOOD.replace('version: "1"', 'version: "1b"'))
    with pytest.raises(CommandError) as err:
        call_command("program", "load", str(other), stdout=StringIO())
    assert f"{other}: effective_from: 2026-01-01 is already the start of acme version 1" in str(
        err.value
    )
    assert list(ProgramVersion.objects.values_list("version", flat=True)) == ["1"]

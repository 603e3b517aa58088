"""The simulation pages (/console/simulation/): drafts written and validated (never published),
who may do what, and a simulation run on a small world whose transitions are counted by hand.

Roles: a program admin (paula) writes drafts and runs; a channel manager (carol) reads drafts
and runs (a run writes nothing) and gets 403 on every write; partner members of ALPHA and of
the look-alike BETA ("Alpha Conseil Bis") get 403 on every URL, whatever id they pass.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponseBase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from partnerprogram.audit.models import AuditEvent
from partnerprogram.programs.drafts import program_draft_save
from partnerprogram.programs.models import ProgramDraft, ProgramVersion
from partnerprogram.programs.services import program_versions_load
from tests.console.conftest import PROGRAM, World, certify, client_for, make_user
from tests.factories import BookingFactory, PartnerFactory, TrackEnrolmentFactory

LIST = "/console/simulation/"
DRAFT = "/console/simulation/draft/"
RUN = "/console/simulation/run/"
CALIBRATE = "/console/simulation/calibrate/"

# the console world's program with premier raised from 4 to 5 certified people
STRICTER = PROGRAM.replace('version: "1"', 'version: "2"').replace(
    "premier: {metric: certified_people, at_least: 4}",
    "premier: {metric: certified_people, at_least: 5}",
)


def _draft(name: str = "stricter", text: str = STRICTER, **extra: Any) -> ProgramDraft:
    return program_draft_save(name=name, yaml_text=text, actor="user:paula", **extra)


def _version() -> ProgramVersion:
    return ProgramVersion.objects.get(program__key="cons", version="1")


def _body(response: HttpResponseBase) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined]


def _csv(response: HttpResponseBase) -> list[list[str]]:
    raw = _body(response)
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


# --------------------------------------------------------------------------- drafts


@pytest.mark.django_db
def test_program_admin_starts_a_draft_from_a_version_and_saves_it(world: World) -> None:
    client = client_for(world.paula)
    version = _version()
    page = client.get(f"{DRAFT}?from={version.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    # pre-filled with the file the version was loaded from (still on disk in tmp_path)
    assert "premier: {metric: certified_people, at_least: 4}" in html
    assert "never publishes" in html
    assert f'name="based_on" value="{version.pk}"' in html

    before = ProgramVersion.objects.count()
    response = client.post(
        DRAFT, {"name": "raise premier", "yaml_text": STRICTER, "based_on": version.pk}
    )
    draft = ProgramDraft.objects.get(name="raise premier")
    assert response.status_code == 302
    assert response["Location"] == f"{DRAFT}?draft={draft.pk}"
    assert draft.based_on == version
    assert draft.updated_by == "user:paula"
    assert ProgramVersion.objects.count() == before  # nothing published
    assert AuditEvent.objects.filter(action="drafted", actor="user:paula").count() == 1

    html = client.get(f"{DRAFT}?draft={draft.pk}").content.decode()
    assert "at_least: 5" in html
    assert "Based on cons version 1." in html

    # the list: name, program, the version written in the YAML, based on, who edited
    html = client.get(LIST).content.decode()
    assert "raise premier" in html
    assert "<td>2</td>" in html  # version "2" in the YAML
    assert "version 1" in html
    assert "paula" in html
    # one format for dates and times on the page: ISO (the draft page's "Y-m-d H:i")
    local = timezone.localtime
    assert f"<td>{local(draft.updated_at):%Y-%m-%d %H:%M} <small>" in html
    assert f"<td>2026-07-01</td><td>{local(version.loaded_at):%Y-%m-%d %H:%M}</td>" in html
    assert "p.m." not in html and "a.m." not in html and "July" not in html


@pytest.mark.django_db
def test_invalid_yaml_lists_every_problem_and_stores_nothing(world: World) -> None:
    client = client_for(world.paula)
    # a syntax error: the line is given (line 3 holds the unclosed bracket)
    broken = "program: cons\nversion: '2'\ntiers: [ready, advanced\n"
    page = client.post(DRAFT, {"name": "broken", "yaml_text": broken})
    html = page.content.decode()
    assert page.status_code == 400
    assert "The draft was not saved: 1 problem" in html
    assert "(line 4, column 1)" in html  # PyYAML reports where the stream ended
    assert "tiers: [ready, advanced" in html  # the text is kept for correction

    # a program error: its field path
    bad = STRICTER.replace("at_least: 5", "at_least: many")
    html = client.post(DRAFT, {"name": "bad", "yaml_text": bad}).content.decode()
    assert "<code>requirements.solution_provider.premier.at_least</code>" in html

    # no name
    html = client.post(DRAFT, {"name": "", "yaml_text": STRICTER}).content.decode()
    assert "<code>name</code>" in html
    assert not ProgramDraft.objects.exists()
    assert not AuditEvent.objects.filter(action="drafted").exists()


@pytest.mark.django_db
def test_upload_a_yaml_file_as_a_draft(world: World) -> None:
    client = client_for(world.paula)
    upload = SimpleUploadedFile("cons-2.yaml", STRICTER.encode(), content_type="text/yaml")
    response = client.post(DRAFT, {"name": "", "upload": upload})
    assert response.status_code == 302
    draft = ProgramDraft.objects.get()
    assert draft.name == "cons-2"  # the file name without its extension
    assert draft.yaml == STRICTER

    latin1 = SimpleUploadedFile("x.yaml", "name: Société".encode("latin-1"))
    page = client.post(DRAFT, {"name": "x", "upload": latin1})
    assert page.status_code == 400
    assert "not UTF-8" in page.content.decode()
    assert ProgramDraft.objects.count() == 1


@pytest.mark.django_db
def test_edit_and_delete_a_draft(world: World) -> None:
    client = client_for(world.paula)
    draft = _draft()
    edited = STRICTER.replace("at_least: 5", "at_least: 6")
    response = client.post(DRAFT, {"draft": draft.pk, "name": "stricter", "yaml_text": edited})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert "at_least: 6" in draft.yaml
    download = client.get(f"{DRAFT}?draft={draft.pk}&download=yaml")
    assert download["Content-Disposition"] == f'attachment; filename="draft-{draft.pk}.yaml"'
    assert download.content.decode() == edited

    response = client.post(DRAFT, {"draft": draft.pk, "action": "delete"})
    assert response.status_code == 302
    assert not ProgramDraft.objects.exists()
    assert AuditEvent.objects.filter(action="deleted").count() == 1


@pytest.mark.django_db
def test_channel_manager_reads_and_runs_but_never_writes(world: World) -> None:
    client = client_for(world.carol)
    draft = _draft()
    assert client.get(LIST).status_code == 200
    html = client.get(f"{DRAFT}?draft={draft.pk}").content.decode()
    assert "readonly" in html and "at_least: 5" in html
    assert "Validate and save" not in html
    assert "New draft from version" not in client.get(LIST).content.decode()
    # a published version's text, read-only
    html = client.get(f"{DRAFT}?from={_version().pk}").content.decode()
    assert "readonly" in html and "at_least: 4" in html and "Validate and save" not in html
    writes = [
        {"draft": draft.pk, "name": "x", "yaml_text": PROGRAM},
        {"draft": draft.pk, "action": "delete"},
        {"name": "new", "yaml_text": STRICTER},
        {"name": "new", "yaml_text": STRICTER, "based_on": _version().pk},
    ]
    for data in writes:
        assert client.post(DRAFT, data).status_code == 403, data
    assert list(ProgramDraft.objects.values_list("name", "yaml")) == [("stricter", STRICTER)]
    assert AuditEvent.objects.filter(action__in=["drafted", "deleted"]).count() == 1


@pytest.mark.django_db
def test_partner_members_of_both_look_alikes_get_403_everywhere(world: World) -> None:
    draft = _draft()
    other = _draft(name="Alpha Conseil Bis")  # a draft named like the look-alike partner
    version = _version()
    bob = make_user("bob", "partner_admin", world.beta)
    bella = make_user("bella", "partner_user", world.beta)
    urls = [
        LIST,
        DRAFT,
        f"{DRAFT}?draft={draft.pk}",
        f"{DRAFT}?draft={other.pk}",
        f"{DRAFT}?draft={draft.pk}&download=yaml",
        f"{DRAFT}?from={version.pk}",
        RUN,
        f"{RUN}?draft={draft.pk}&against=standings",
        f"{RUN}?draft={other.pk}&against=version:{version.pk}&export=transitions&format=csv",
        f"{RUN}?draft={draft.pk}&against=standings&export=movers&format=xlsx",
        f"{LIST}?partner={world.beta.external_id}",
        CALIBRATE,
        f"{CALIBRATE}?draft={other.pk}&targets=keep%3Apremier",
        f"{CALIBRATE}?draft={draft.pk}&targets=keep%3Apremier&download=yaml",
    ]
    for user in (world.alice, world.amy, bob, bella):
        client = client_for(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 403, (user, url)
            assert b"premier" not in _body(response), (user, url)
        for data in (
            {"draft": draft.pk, "action": "delete"},
            {"draft": other.pk, "name": "x", "yaml_text": PROGRAM},
            {"name": "new", "yaml_text": STRICTER},
        ):
            assert client.post(DRAFT, data).status_code == 403, (user, data)
    assert ProgramDraft.objects.count() == 2
    assert AuditEvent.objects.filter(action__in=["drafted", "deleted"]).count() == 2


@pytest.mark.django_db
def test_unknown_ids_are_404(world: World) -> None:
    client = client_for(world.paula)
    missing = (ProgramDraft.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for url in (
        f"{DRAFT}?draft={missing}",
        f"{DRAFT}?draft=abc",
        f"{DRAFT}?draft=-1",
        f"{DRAFT}?from=999999",
        f"{RUN}?draft={missing}&against=standings",
        f"{CALIBRATE}?draft={missing}&targets=keep%3Apremier",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(DRAFT, {"draft": missing, "action": "delete"}).status_code == 404
    assert (
        client.post(DRAFT, {"based_on": 999999, "name": "x", "yaml_text": STRICTER}).status_code
        == 404
    )
    assert not ProgramDraft.objects.exists()


@pytest.mark.django_db
def test_drafts_list_query_count_is_the_same_for_1_and_20_drafts(world: World) -> None:
    client = client_for(world.paula)
    version = _version()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST)
            assert response.status_code == 200
        return len(queries)

    _draft(name="draft 0", based_on=version)
    one = count()
    for i in range(1, 20):
        _draft(name=f"draft {i}", based_on=version if i % 2 else None)
    twenty = count()
    assert twenty == one
    assert client.get(LIST).content.decode().count(f'href="{RUN}?draft=') == 20


# --------------------------------------------------------------------------- a run, by hand

SIM_V1 = """
program: sim
name: {en: Simulation test program, fr: Programme de test de simulation}
currency: EUR
timezone: Europe/Paris
version: "1"
effective_from: 2026-01-01
tiers: [ready, advanced, premier]
tracks:
  solution_provider: {name: {en: Solution provider, fr: Revendeur intégrateur}}
requirements:
  solution_provider:
    advanced:
      all:
        - {id: certified, label: {en: Certified people, fr: Personnes certifiées},
           metric: certified_people, at_least: 2}
        - {id: resale, label: {en: Resale, fr: Revente},
           metric: resale_bookings, window: 12M, at_least: 1000}
    premier:
      all:
        - {id: certified, label: {en: Certified people, fr: Personnes certifiées},
           metric: certified_people, at_least: 4}
        - {id: resale, label: {en: Resale, fr: Revente},
           metric: resale_bookings, window: 12M, at_least: 5000}
benefits:
  advanced:
    - {key: mdf, kind: mdf, value: 1000, label: {en: MDF, fr: MDF}}
  premier:
    - {key: mdf, kind: mdf, value: 3000, label: {en: MDF, fr: MDF}}
    - {key: discount, kind: discount, value: 0.10, label: {en: Discount, fr: Remise}}
cycle: {claims_open: 2026-07-01, claim_deadline: 2026-12-31, freeze_months: 12}
"""

# the draft: advanced needs 1 certified person (was 2) but EUR 2,000 resale (was 1,000);
# premier EUR 2,500 resale (was 5,000)
SIM_DRAFT = (
    SIM_V1.replace('version: "1"', 'version: "2"')
    .replace("metric: certified_people, at_least: 2}", "metric: certified_people, at_least: 1}")
    .replace("window: 12M, at_least: 1000}", "window: 12M, at_least: 2000}")
    .replace("window: 12M, at_least: 5000}", "window: 12M, at_least: 2500}")
)

ON = "2026-10-15"

# partner: (name, certified people, resale in the 12 months to 2026-10-15, enrolled)
# tiers by hand, version 1 -> draft:
#   ALPHA 4, 6000: premier (4>=4, 6000>=5000)   -> premier (6000>=2500)
#   BETA  4, 3000: advanced (3000<5000)          -> premier (3000>=2500)          up
#   GAMMA 2, 1500: advanced (2>=2, 1500>=1000)   -> ready (1500<2000)             down
#   DELTA 1, 2000: ready (1<2)                   -> advanced (1>=1, 2000>=2000)   up
#   EPSIL 0, 0:    ready                         -> ready
#   ZETA  not enrolled in a track: no tier on both sides
SMALL = {
    "ALPHA": ("Alpha Conseil", 4, Decimal("6000"), True),
    "BETA": ("Alpha Conseil Bis", 4, Decimal("3000"), True),
    "GAMMA": ("Gamma Réseaux", 2, Decimal("1500"), True),
    "DELTA": ("Delta Services", 1, Decimal("2000"), True),
    "EPSIL": ("Epsilon", 0, Decimal("0"), True),
    "ZETA": ("Zeta", 0, Decimal("0"), False),
}


@pytest.fixture
def small(db: None, tmp_path: Path) -> ProgramDraft:
    path = tmp_path / "sim-1.yaml"
    path.write_text(SIM_V1, encoding="utf-8")
    program_versions_load(paths=[path])
    for ext, (name, certified, resale, enrolled) in SMALL.items():
        partner = PartnerFactory(external_id=ext, name=name)
        if enrolled:
            TrackEnrolmentFactory(partner=partner, enrolled_on=date(2024, 1, 1))
        certify(partner, certified)
        if resale:
            BookingFactory(transacting_partner=partner, amount=resale, booked_on=date(2026, 5, 10))
    v1 = ProgramVersion.objects.get(program__key="sim", version="1")
    return program_draft_save(name="relaxed", yaml_text=SIM_DRAFT, actor="user:paula", based_on=v1)


def _cells(html: str) -> dict[tuple[str, str], int]:
    """The transition matrix of a result page: ``{(from, to): count}``."""
    found = re.findall(r'data-from="(\w+)" data-to="(\w+)"[^>]*>(?:<a [^>]*>)?([\d,]+)', html)
    return {(f, t): int(n.replace(",", "")) for f, t, n in found}


@pytest.mark.django_db
def test_run_against_the_published_version_counts_as_by_hand(small: ProgramDraft) -> None:
    paula = make_user("paula", "program_admin")
    client = client_for(paula)
    url = f"{RUN}?draft={small.pk}&on={ON}"  # against defaults to version 1 (based_on)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200, html
    assert "6 partners of sim" in html
    assert "against version 1" in html
    cells = _cells(html)
    tiers = ["premier", "advanced", "ready", "none"]
    assert len(cells) == 16  # 4 x 4, zeros included
    expected = {
        ("premier", "premier"): 1,
        ("advanced", "premier"): 1,  # BETA
        ("advanced", "ready"): 1,  # GAMMA
        ("ready", "advanced"): 1,  # DELTA
        ("ready", "ready"): 1,  # EPSIL
        ("none", "none"): 1,  # ZETA
    }
    assert cells == {(f, t): expected.get((f, t), 0) for f in tiers for t in tiers}
    # an off-diagonal count opens the movers of that cell
    assert "from_tier=advanced&amp;to_tier=premier#movers" in html
    # the movers, with the requirement that moves them
    assert "3 partners" in html
    assert 'href="/console/partners/BETA/"' in html
    assert "Resale: EUR 2,000" in html  # BETA under version 1: 3000 < 5000
    # benefit cost by hand: version 1: ALPHA 3000 + 10% x 6000, BETA 1000, GAMMA 1000 = 5,600;
    # draft: ALPHA 3,600, BETA 3000 + 300, DELTA 1000 = 7,900
    assert "5,600 EUR" in html and "7,900 EUR" in html and "+2,300 EUR" in html

    filtered = client.get(f"{url}&from_tier=advanced&to_tier=premier").content.decode()
    assert "1 partner" in filtered
    assert 'href="/console/partners/BETA/"' in filtered
    assert 'href="/console/partners/GAMMA/"' not in filtered

    # the same counts in the CSV export (non-zero pairs, highest tier first)
    rows = _csv(client.get(f"{url}&export=transitions&format=csv"))
    assert rows == [
        ["tier_1", "tier_2", "partners"],
        ["premier", "premier", "1"],
        ["advanced", "premier", "1"],
        ["advanced", "ready", "1"],
        ["ready", "advanced", "1"],
        ["ready", "ready", "1"],
        ["none", "none", "1"],
    ]
    movers = _csv(client.get(f"{url}&export=movers&format=csv"))
    assert [(r[0], r[2], r[3], r[4]) for r in movers[1:]] == [
        ("BETA", "advanced", "premier", "up"),
        ("GAMMA", "advanced", "ready", "down"),
        ("DELTA", "ready", "advanced", "up"),
    ]
    # the reasons name the tier they are measured against: BETA's under version 1 for Premier
    # (3,000 of the 5,000 resale), GAMMA's under the draft for Advanced (1,500 of 2,000)
    assert movers[1][8].startswith("for Premier: Resale: ")
    assert movers[2][8].startswith("for Advanced: Resale: ")
    assert "For Premier:" in html
    assert movers[1][7] == "requirements.solution_provider.premier.all[1]"  # BETA: resale
    assert movers[2][7] == "requirements.solution_provider.advanced.all[1]"  # GAMMA: resale
    assert movers[3][7] == "requirements.solution_provider.advanced.all[0]"  # DELTA: certified
    book = load_workbook(io.BytesIO(_body(client.get(f"{url}&export=distribution&format=xlsx"))))
    assert [[c.value for c in row] for row in book.worksheets[0].iter_rows()] == [
        ["tier", "tier_name", "partners_1", "partners_2", "difference"],
        ["premier", "Premier", 1, 2, 1],
        ["advanced", "Advanced", 2, 1, -1],
        ["ready", "Ready", 2, 2, 0],
        ["none", "No tier", 1, 1, 0],
    ]


@pytest.mark.django_db
def test_run_defaults_to_the_version_in_force_like_the_command(
    small: ProgramDraft, tmp_path: Path
) -> None:
    """The draft is based on version 1; version 1.5 (premier resale 2,500 as in the draft) is
    in force from 2026-09-01. Without ``against`` the page compares with the version in force
    on the date, as ``partnerprogram simulate`` without ``--against``, and offers version 1.

    By hand against 1.5 (SMALL): ALPHA, BETA premier on both sides; GAMMA advanced -> ready
    (1500 < 2000); DELTA ready -> advanced (1 >= 1, 2000 >= 2000): 2 movers. Against version 1
    (as of 2026-08-01, when 1 is in force): BETA also moves (3000 < 5000): 3 movers."""
    path = tmp_path / "sim-1.5.yaml"
    path.write_text(
        SIM_V1.replace('version: "1"', 'version: "1.5"')
        .replace("effective_from: 2026-01-01", "effective_from: 2026-09-01")
        .replace("window: 12M, at_least: 5000}", "window: 12M, at_least: 2500}"),
        encoding="utf-8",
    )
    program_versions_load(paths=[path])
    v1 = ProgramVersion.objects.get(program__key="sim", version="1")
    v15 = ProgramVersion.objects.get(program__key="sim", version="1.5")
    client = client_for(make_user("paula", "program_admin"))
    html = unescape(client.get(f"{RUN}?draft={small.pk}&on={ON}").content.decode())
    assert "against version 1.5." in html
    assert "as of 2026-10-15: the draft" in html  # ISO, as the other simulation pages
    cells = _cells(html)
    assert (cells[("premier", "premier")], cells[("advanced", "premier")]) == (2, 0)  # BETA stays
    assert (cells[("advanced", "ready")], cells[("ready", "advanced")]) == (1, 1)
    assert f'<option value="version:{v15.pk}" selected>' in html
    assert "By default the draft is compared with version 1.5, the version in force on " in html
    assert "2026-10-15" in html
    assert "The draft was started from version 1" in html
    assert f"against=version%3A{v1.pk}" in html  # the link to compare with version 1
    assert "Compare with version 1 (the draft's source)" in html
    # following it: version 1 chosen, a link back to the version in force
    html = unescape(
        client.get(f"{RUN}?draft={small.pk}&on={ON}&against=version:{v1.pk}").content.decode()
    )
    assert "against version 1." in html and "Compare with version 1.5 (in force)" in html
    # on a date version 1 is in force, it is the default and nothing else is offered
    html = unescape(client.get(f"{RUN}?draft={small.pk}&on=2026-08-01").content.decode())
    assert "against version 1." in html
    assert "the version in force on 2026-08-01" in html
    assert "The draft was started from" not in html


@pytest.mark.django_db
def test_binding_requirements_and_sensitivity_by_hand(small: ProgramDraft) -> None:
    client = client_for(make_user("carol", "channel_manager"))  # read-only may run
    url = f"{RUN}?draft={small.pk}&on={ON}&against=previous"
    # binding, under the draft, solution provider track:
    #   advanced: below it GAMMA (fails resale only: alone) and EPSIL (fails both: together)
    #     certified alone 0 together 1; resale alone 1 together 1; 2 below
    #   premier: below it DELTA, GAMMA, EPSIL, each failing both: together 3, alone 0
    rows = _csv(client.get(f"{url}&export=binding&format=csv"))
    got = {(r[1], r[2]): (r[4], r[5], r[7]) for r in rows[1:]}
    base = "requirements.solution_provider"
    assert got == {
        ("advanced", f"{base}.advanced.all[0]"): ("0", "1", "2"),
        ("advanced", f"{base}.advanced.all[1]"): ("1", "1", "2"),
        ("premier", f"{base}.premier.all[0]"): ("0", "3", "3"),
        ("premier", f"{base}.premier.all[1]"): ("0", "3", "3"),
    }
    assert rows[1][2] == f"{base}.advanced.all[1]"  # sorted by "alone"

    # premier resale threshold from 2000 to 6000: premier needs 4 certified people too, so
    # only ALPHA (6000) and BETA (3000) can reach it: 2, 2, 1, 1, 1
    path = quote(f"{base}.premier.all[1].at_least")
    sens = f"{url}&path={path}&start=2000&stop=6000&step=1000"
    html = client.get(sens).content.decode()
    assert "Reaching Premier" in html
    rows = _csv(client.get(f"{sens}&export=sensitivity&format=csv"))
    assert [(r[0], r[-1]) for r in rows[1:]] == [
        ("2000", "2"),
        ("3000", "2"),
        ("4000", "1"),
        ("5000", "1"),
        ("6000", "1"),
    ]
    # a range too long or reversed is refused on the form
    bad = client.get(f"{url}&path={path}&start=0&stop=100000&step=1")
    assert bad.status_code == 400
    assert "At most 25 values" in bad.content.decode()
    assert client.get(f"{url}&export=nothing&format=csv").status_code == 404


@pytest.mark.django_db
def test_calibration_suggests_the_threshold_and_saves_it_as_a_draft(small: ProgramDraft) -> None:
    paula = make_user("paula", "program_admin")
    client = client_for(paula)
    as_written = program_draft_save(
        name="as v1", yaml_text=SIM_V1.replace('version: "1"', 'version: "2"'), actor="user:p"
    )
    # two premier partners wanted; only the premier resale threshold (EUR 5,000) may move.
    # ALPHA (6000) and BETA (3000) have the 4 certified people: the smallest change lowers the
    # threshold to BETA's 3000 (-40 %), and BETA moves from advanced to premier.
    path = "requirements.solution_provider.premier.all[1].at_least"
    url = (
        f"{CALIBRATE}?draft={as_written.pk}&on={ON}&targets={quote('at-least:2:premier')}"
        f"&free={quote(path)}"
    )
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200, html
    assert "Suggested changes" in html
    assert "-40.0%" in html
    assert "at_least: 3000" in html  # in the diff
    changes = _csv(client.get(f"{url}&export=changes&format=csv"))
    assert changes[1][0] == path
    assert (Decimal(changes[1][2]), Decimal(changes[1][3])) == (Decimal(5000), Decimal(3000))
    partners = _csv(client.get(f"{url}&export=partners&format=csv"))
    assert partners[1:] == [["BETA", "Alpha Conseil Bis", "advanced", "premier"]]
    calibrated = client.get(f"{url}&download=yaml").content.decode()
    assert "at_least: 3000" in calibrated

    # saved as a new draft by the program admin (the form on the page posts the text)
    assert (
        client.post(DRAFT, {"name": "as v1 calibrated", "yaml_text": calibrated}).status_code == 302
    )
    assert "at_least: 3000" in ProgramDraft.objects.get(name="as v1 calibrated").yaml

    # a channel manager may search but gets no save form; a bad target is named
    carol = client_for(make_user("carol", "channel_manager"))
    html = carol.get(url).content.decode()
    assert "Suggested changes" in html and "Save as a draft" not in html
    bad = carol.get(f"{CALIBRATE}?draft={as_written.pk}&on={ON}&targets=keep%3Aemperor")
    assert bad.status_code == 400
    assert "unknown tier" in bad.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["program_admin", "channel_manager"])
def test_vendor_staff_reach_every_simulation_page_without_parameters(role: str) -> None:
    client = client_for(make_user("staff", role))
    for url in (LIST, DRAFT, RUN, CALIBRATE):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_run_page_query_count_does_not_grow_with_partners_or_movers(small: ProgramDraft) -> None:
    client = client_for(make_user("paula", "program_admin"))
    url = f"{RUN}?draft={small.pk}&on={ON}"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    six = count()
    for i in range(20):  # 20 more movers: each goes from ready to advanced under the draft
        partner = PartnerFactory(external_id=f"MORE{i:02d}")
        TrackEnrolmentFactory(partner=partner, enrolled_on=date(2024, 1, 1))
        certify(partner, 1)
        BookingFactory(
            transacting_partner=partner, amount=Decimal(2000), booked_on=date(2026, 5, 10)
        )
    assert count() == six
    assert "23 partners" in client.get(url).content.decode()  # 3 + 20 movers


@pytest.mark.django_db
def test_result_page_in_french(small: ProgramDraft) -> None:
    client = client_for(make_user("carol", "channel_manager"))
    path = quote("requirements.solution_provider.premier.all[1].at_least")
    url = f"{RUN}?draft={small.pk}&on={ON}&path={path}&start=2000&stop=6000&step=1000"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Matrice des transitions" in html
    assert "Critères bloquants" in html
    assert "Aucun niveau" in html
    assert "7\xa0900\xa0EUR" in html  # the draft's benefit cost, French grouping
    # SVG coordinates stay unlocalized (a decimal comma would break the drawing)
    for attribute in (' y="', ' width="', ' y1="'):
        for chunk in html.split(attribute)[1:]:
            assert "," not in chunk.split('"')[0], chunk[:40]


# --------------------------------------------------------------------------- bad input (tester)


@pytest.mark.django_db
@pytest.mark.parametrize("on", ["9999-12-31", "1800-01-01", "2200-01-01", "1899-12-31"])
def test_dates_out_of_range_are_a_form_error_not_a_crash(small: ProgramDraft, on: str) -> None:
    client = client_for(make_user("paula", "program_admin"))
    for url in (
        f"{RUN}?draft={small.pk}&against=previous&on={on}",
        f"{CALIBRATE}?draft={small.pk}&baseline=previous&on={on}&targets=at-least:2:premier",
    ):
        page = client.get(url)
        assert page.status_code == 400, url
        assert "Give a date between 1900-01-01 and 2199-12-31." in page.content.decode()


@pytest.mark.django_db
def test_dates_at_the_bounds_are_accepted(small: ProgramDraft) -> None:
    client = client_for(make_user("paula", "program_admin"))
    for on in ("1900-01-01", "2199-12-31"):
        assert client.get(f"{RUN}?draft={small.pk}&against=previous&on={on}").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "stop", "step"),
    [("nan", "5", "1"), ("1", "nan", "1"), ("1", "inf", "1"), ("1", "5", "nan"), ("1", "5", "inf")],
)
def test_sensitivity_refuses_nan_and_infinity(
    small: ProgramDraft, start: str, stop: str, step: str
) -> None:
    client = client_for(make_user("paula", "program_admin"))
    path = quote("requirements.solution_provider.premier.all[1].at_least")
    page = client.get(
        f"{RUN}?draft={small.pk}&against=previous&on={ON}"
        f"&path={path}&start={start}&stop={stop}&step={step}"
    )
    assert page.status_code == 400
    assert "Enter a number." in page.content.decode()


@pytest.mark.django_db
def test_each_export_is_named_after_its_table(small: ProgramDraft) -> None:
    client = client_for(make_user("paula", "program_admin"))
    dotted = program_draft_save(
        name="dotted",
        yaml_text=SIM_DRAFT.replace('version: "2"', 'version: "2026.2"'),
        actor="user:paula",
    )
    url = f"{RUN}?draft={dotted.pk}&on={ON}&against=previous&format=csv"
    names = {
        table: client.get(f"{url}&export={table}")["Content-Disposition"]
        for table in ("distribution", "transitions", "movers")
    }
    # draft version "2026.2" against "previous" as of 2026-10-15: one name per table (the dot
    # used to be taken for an extension: every table was "simulation-sim-2026.csv")
    assert names == {
        t: f'attachment; filename="simulation-sim-2026_2-vs-previous-2026-10-15-{t}.csv"'
        for t in ("distribution", "transitions", "movers")
    }


@pytest.mark.django_db
def test_removing_a_tier_makes_its_partners_move_down(small: ProgramDraft) -> None:
    """The draft without Advanced (ready, premier): BETA (4 people, 3000 < 5000) and GAMMA
    (1500) were advanced under version 1 and are ready now: down, and the tables list the
    tiers premier, advanced, ready, none (advanced in its place of version 1)."""
    requirement = "    advanced:\n" + SIM_V1.split("    advanced:\n")[1].split("    premier:\n")[0]
    benefit = "  advanced:\n    - {key: mdf, kind: mdf, value: 1000, label: {en: MDF, fr: MDF}}\n"
    text = (
        SIM_V1.replace('version: "1"', 'version: "2"')
        .replace("tiers: [ready, advanced, premier]", "tiers: [ready, premier]")
        .replace(requirement, "")
        .replace(benefit, "")
    )
    v1 = ProgramVersion.objects.get(program__key="sim", version="1")
    noadv = program_draft_save(name="noadv", yaml_text=text, actor="user:paula", based_on=v1)
    client = client_for(make_user("paula", "program_admin"))
    url = f"{RUN}?draft={noadv.pk}&on={ON}&against=version:{v1.pk}&format=csv"
    movers = _csv(client.get(f"{url}&export=movers"))
    assert [(r[0], r[2], r[3], r[4]) for r in movers[1:]] == [
        ("BETA", "advanced", "ready", "down"),
        ("GAMMA", "advanced", "ready", "down"),
    ]
    distribution = _csv(client.get(f"{url}&export=distribution"))
    assert [r[0] for r in distribution[1:]] == ["premier", "advanced", "ready", "none"]


@pytest.mark.django_db
def test_per_track_tiers_of_the_previous_program_are_not_available(small: ProgramDraft) -> None:
    """The previous program has an overall tier only: the per-track table shows "not
    available" on its side (not zeros). The draft's side by hand: ALPHA, BETA premier; DELTA
    advanced; GAMMA, EPSIL ready (ZETA is enrolled in no track)."""
    client = client_for(make_user("paula", "program_admin"))
    url = f"{RUN}?draft={small.pk}&on={ON}&against=previous"
    html = client.get(url).content.decode()
    assert "not available" in html
    assert "Not available for" in html
    rows = _csv(client.get(f"{url}&export=by_track&format=csv"))
    assert rows == [
        ["track", "tier", "partners_previous", "partners_2", "difference"],
        ["solution_provider", "premier", "", "2", ""],
        ["solution_provider", "advanced", "", "1", ""],
        ["solution_provider", "ready", "", "2", ""],
    ]


@pytest.mark.django_db
def test_score_component_values_show_points_against_minimum_points(small: ProgramDraft) -> None:
    """Premier as a score: 2 points per certified person (minimum 8 points, total 8). BETA (4
    people) moves up from advanced: 4 people earn 4 x 2 = 8.00 points, against a minimum of 8
    points — never "4: — / 8" (people compared with points)."""
    score = (
        "    premier:\n"
        "      id: people-score\n"
        "      label: {en: People score, fr: Score des personnes}\n"
        "      at_least: 8\n"
        "      score:\n"
        "        - {id: certified, label: {en: Certified people, fr: Personnes certifiées},\n"
        "           metric: certified_people, points_each: 2, max_points: 20, min_points: 8}\n"
        "benefits:"
    )
    premier = "    premier:\n" + SIM_V1.split("    premier:\n")[1].split("benefits:")[0]
    text = SIM_V1.replace('version: "1"', 'version: "2"').replace(premier + "benefits:", score)
    v1 = ProgramVersion.objects.get(program__key="sim", version="1")
    draft = program_draft_save(name="score", yaml_text=text, actor="user:paula", based_on=v1)
    client = client_for(make_user("paula", "program_admin"))
    page = client.get(f"{RUN}?draft={draft.pk}&on={ON}&against=version:{v1.pk}")
    html = " ".join(page.content.decode().split())
    assert page.status_code == 200
    beta = html.split('href="/console/partners/BETA/"')[1].split("</tr>")[0]
    assert "<code>certified_people</code> = 4: — / → 8.00 points (min 8)" in beta


@pytest.mark.django_db
def test_calibration_and_binding_in_french_without_command_line_options(
    small: ProgramDraft,
) -> None:
    client = client_for(make_user("paula", "program_admin"))
    fr = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    base = f"{CALIBRATE}?draft={small.pk}&baseline=previous&on={ON}"
    # an unknown threshold: the console's words in French, no "--free"/"--list-thresholds"
    page = client.get(f"{base}&targets=at-least:2:premier&free=requirements.nope", **fr)
    html = unescape(page.content.decode())
    assert page.status_code == 400
    assert "Seuil « requirements.nope » : ce seuil n'existe pas" in html
    assert "--free" not in html and "--list-thresholds" not in html
    page = client.get(f"{base}&targets=keep:elite", **fr)
    assert page.status_code == 400
    assert (
        "Objectif « keep:elite » : niveau elite inconnu (niveaux : ready, advanced, premier)."
        in (page.content.decode())
    )
    # the grammar hint: the syntax as is, the words in French
    html = client.get(base, **fr).content.decode()
    assert "chacune éventuellement suivie de @TRACK" in html
    assert "each optionally" not in html


@pytest.mark.django_db
def test_score_labels_in_french_on_the_binding_table_and_thresholds(small: ProgramDraft) -> None:
    """A score tier: the binding table and the list of thresholds use the program's French
    labels and French words for the score's minimums."""
    score = (
        "    premier:\n"
        "      id: people-score\n"
        "      label: {en: People score, fr: Score des personnes}\n"
        "      at_least: 8\n"
        "      score:\n"
        "        - {id: certified, label: {en: Certified people, fr: Personnes certifiées},\n"
        "           metric: certified_people, points_each: 2, max_points: 20, min_points: 8}\n"
        "benefits:"
    )
    premier = "    premier:\n" + SIM_V1.split("    premier:\n")[1].split("benefits:")[0]
    text = SIM_V1.replace('version: "1"', 'version: "2"').replace(premier + "benefits:", score)
    draft = program_draft_save(name="score", yaml_text=text, actor="user:paula")
    client = client_for(make_user("paula", "program_admin"))
    fr = {"HTTP_ACCEPT_LANGUAGE": "fr"}
    html = client.get(f"{RUN}?draft={draft.pk}&on={ON}&against=previous", **fr).content.decode()
    assert "Score des personnes : au moins 8 points" in html
    assert "Personnes certifiées : minimum 8 points" in html
    assert "at least 8 points" not in html and "min points" not in html
    html = client.get(f"{CALIBRATE}?draft={draft.pk}", **fr).content.decode()
    assert "Personnes certifiées (points minimum)" in html
    assert "(minimum points)" not in html


@pytest.mark.django_db
def test_calibration_of_a_draft_with_too_many_thresholds_is_refused(small: ProgramDraft) -> None:
    """Premier with 51 resale checks (EUR 1,000 .. 1,050) and advanced's 2: 53 non-zero
    thresholds, above the 50 the search accepts unless they are listed."""
    checks = "".join(
        f"        - {{metric: resale_bookings, window: 12M, at_least: {1000 + i}}}\n"
        for i in range(51)
    )
    premier = "    premier:\n" + SIM_V1.split("    premier:\n")[1].split("benefits:")[0]
    text = SIM_V1.replace('version: "1"', 'version: "2"').replace(
        premier, "    premier:\n      all:\n" + checks
    )
    draft = program_draft_save(name="many", yaml_text=text, actor="user:paula")
    client = client_for(make_user("paula", "program_admin"))
    base = f"{CALIBRATE}?draft={draft.pk}&baseline=previous&on={ON}&targets=at-least:1:premier"
    page = client.get(base)
    html = unescape(page.content.decode())
    assert page.status_code == 400
    assert "Too many thresholds to move: the draft has 53, above the limit of 50." in html
    # listing a few is accepted
    path = quote("requirements.solution_provider.premier.all[50].at_least")
    assert client.get(f"{base}&free={path}").status_code == 200

"""The simulation pages (/console/simulation/): drafts written and validated (never published),
who may do what, and a simulation run on a small world whose transitions are counted by hand.

Roles: a program admin (paula) writes drafts and runs; a channel manager (carol) reads drafts
and runs (a run writes nothing) and gets 403 on every write; partner members of ALPHA and of
the look-alike BETA ("Alpha Conseil Bis") get 403 on every URL, whatever id they pass.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponseBase
from django.test.utils import CaptureQueriesContext

from partnerprogram.audit.models import AuditEvent
from partnerprogram.programs.drafts import program_draft_save
from partnerprogram.programs.models import ProgramDraft, ProgramVersion
from tests.console.conftest import PROGRAM, World, client_for, make_user

LIST = "/console/simulation/"
DRAFT = "/console/simulation/draft/"
RUN = "/console/simulation/run/"

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

"""/api/v1/center/mediators...: a center's clients read and verify the files of the
mediators it works with, and only those.

The scenario of the issue runs through the API: a mediator affiliated with two centers
edits a training record once (/api/v1/me), both centers' clients see the change, a
third center's client gets 404; a center's rate and internal notes appear to it and to
no other center nor to the mediator.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from core.clock import now
from core.credentials.models import TrainingRecord, VerificationStatus
from core.db import db
from tenants.models import AffiliationStatus
from tests.factories import (
    AffiliationFactory,
    CertificationFactory,
    MediatorProfileFactory,
    TenantFactory,
    TrainingRecordFactory,
    UserFactory,
)
from tests.marketplace.helpers import settle
from tests.mediator_api import (
    PDF,
    assert_problem,
    center_token,
    file_rows,
    person_token,
    stored_evidence,
)
from tests.oauth import authorization_code_tokens, bearer, register
from tests.tenants.helpers import audit_actions, make_center, sign_in

BASE = "/api/v1/center/mediators"


@pytest.fixture
def shared(app):
    """A mediator working with centers A and B (each with its own rate and notes), and a
    center C they do not work with; a client token for each center."""
    person = UserFactory(locale="en")
    profile = MediatorProfileFactory(user=person, display_name="Claire Martin")
    a, b, c = TenantFactory(), TenantFactory(), TenantFactory()
    AffiliationFactory(tenant=a, profile=profile, rate_eur="111.11", internal_notes="A-SECRET")
    AffiliationFactory(
        tenant=b,
        profile=profile,
        status=AffiliationStatus.SUSPENDED,
        rate_eur="222.22",
        internal_notes="B-SECRET",
    )
    record = TrainingRecordFactory(profile=profile, title="Formation initiale", hours="40")
    stored_evidence(record)
    certification = CertificationFactory(profile=profile)
    stored_evidence(certification, name="certificat.pdf")
    tokens = {name: center_token(app, t.id) for name, t in (("a", a), ("b", b), ("c", c))}
    return {
        "person": person,
        "profile": profile,
        "record": record,
        "certification": certification,
        "centers": {"a": a, "b": b, "c": c},
        "tokens": tokens,
    }


def test_one_edit_through_the_api_is_seen_by_both_centers_and_a_third_gets_404(app, client, shared):
    profile, record = shared["profile"], shared["record"]
    me = person_token(app, shared["person"], shared["centers"]["a"].id)
    edited = client.put(
        f"/api/v1/me/training-records/{record.id}",
        json={
            "title": "Formation initiale (module 2)",
            "provider": "Institut de la médiation",
            "kind": "initial_training",
            "hours": 42.5,
            "started_on": (now().date() - timedelta(days=90)).isoformat(),
            "ended_on": None,
        },
        headers=me,
    )
    assert edited.status_code == 200, edited.json

    for name in ("a", "b"):
        seen = client.get(f"{BASE}/{profile.id}", headers=shared["tokens"][name])
        assert seen.status_code == 200, seen.json
        assert [(r["title"], r["hours"]) for r in seen.json["records"]] == [
            ("Formation initiale (module 2)", 42.5)
        ]
    third = shared["tokens"]["c"]
    assert_problem(client.get(f"{BASE}/{profile.id}", headers=third), 404)
    assert_problem(
        client.get(f"{BASE}/{profile.id}/records/{record.id}/evidence", headers=third), 404
    )
    assert client.get(BASE, headers=third).json["items"] == []


def test_a_centers_rate_and_notes_reach_it_and_no_one_else(app, client, shared):
    profile = shared["profile"]
    mine = client.get(f"{BASE}/{profile.id}", headers=shared["tokens"]["a"]).json
    assert mine["affiliation"]["rate_eur"] == "111.11"
    assert mine["affiliation"]["internal_notes"] == "A-SECRET"

    seen_by_b = "".join(
        client.get(url, headers=shared["tokens"]["b"]).get_data(as_text=True)
        for url in (BASE, f"{BASE}/{profile.id}", f"{BASE}?status=suspended")
    )
    assert "B-SECRET" in seen_by_b and "222.22" in seen_by_b
    assert "A-SECRET" not in seen_by_b and "111.11" not in seen_by_b

    me = person_token(app, shared["person"], shared["centers"]["a"].id)
    seen_by_mediator = "".join(
        client.get(f"/api/v1/me/{path}", headers=me).get_data(as_text=True)
        for path in ("profile", "training-records", "certifications")
    )
    for secret in ("A-SECRET", "B-SECRET", "111.11", "222.22"):
        assert secret not in seen_by_mediator


def test_the_detail_holds_the_file_with_compliance(client, shared):
    profile, certification = shared["profile"], shared["certification"]
    body = client.get(
        f"{BASE}/{profile.id}", headers={**shared["tokens"]["a"], "Accept-Language": "en"}
    ).json
    assert body["profile"]["display_name"] == "Claire Martin"
    assert body["affiliation"]["status"] == "active"
    [held] = body["certifications"]
    assert held["id"] == str(certification.id)
    assert held["compliance"]["language"] == "en"
    assert held["compliance"]["status"] and held["compliance"]["issues"]
    assert held["verification"] == {
        "status": "pending",
        "reason": None,
        "verified_at": None,
        "by_this_center": False,
    }


def test_evidence_downloads_for_an_affiliated_center_only(client, shared):
    profile, record, certification = (
        shared["profile"],
        shared["record"],
        shared["certification"],
    )
    got = client.get(
        f"{BASE}/{profile.id}/records/{record.id}/evidence", headers=shared["tokens"]["b"]
    )
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"] == "attachment; filename=attestation.pdf"
    assert got.headers["Cache-Control"] == "private, no-store"
    url = f"{BASE}/{profile.id}/certifications/{certification.id}/evidence"
    got = client.get(url, headers=shared["tokens"]["a"])
    assert got.status_code == 200 and "certificat.pdf" in got.headers["Content-Disposition"]
    assert_problem(client.get(url, headers=shared["tokens"]["c"]), 404)
    # Another mediator's record under this mediator's id: missing too.
    other = TrainingRecordFactory()
    stored_evidence(other)
    wrong = f"{BASE}/{profile.id}/records/{other.id}/evidence"
    assert_problem(client.get(wrong, headers=shared["tokens"]["a"]), 404)


def test_the_list_pages_filters_and_summarises(app, client):
    center = TenantFactory()
    profiles = [MediatorProfileFactory(display_name=f"Mediator {n}") for n in range(5)]
    for profile in profiles[:3]:
        AffiliationFactory(tenant=center, profile=profile)
    AffiliationFactory(tenant=center, profile=profiles[3], status=AffiliationStatus.ENDED)
    AffiliationFactory(tenant=center, profile=profiles[4], status=AffiliationStatus.INVITED)
    CertificationFactory(profile=profiles[0])
    TrainingRecordFactory(profile=profiles[0])
    AffiliationFactory(profile=MediatorProfileFactory())  # another center's
    headers = center_token(app, center.id, "mediators:read")

    first = client.get(f"{BASE}?limit=2", headers=headers).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(f"{BASE}?limit=2&cursor={first['next_cursor']}", headers=headers).json
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    names = [i["profile"]["display_name"] for i in first["items"] + second["items"]]
    assert sorted(names) == ["Mediator 0", "Mediator 1", "Mediator 2", "Mediator 4"]

    listed = first["items"] + second["items"]
    summary = next(i for i in listed if i["profile"]["id"] == str(profiles[0].id))
    assert summary["compliance"]["status"] is not None
    assert len(summary["compliance"]["certifications"]) == 1
    assert summary["compliance"]["pending_verifications"] == 2

    ended = client.get(f"{BASE}?status=ended", headers=headers).json["items"]
    assert [i["profile"]["id"] for i in ended] == [str(profiles[3].id)]
    assert ended[0]["compliance"] is None
    assert_problem(client.get(f"{BASE}/{profiles[3].id}", headers=headers), 404)

    too_many = assert_problem(client.get(f"{BASE}?limit=101", headers=headers), 400)
    assert "100" in too_many["detail"]
    assert_problem(client.get(f"{BASE}?cursor=not-a-cursor", headers=headers), 400)
    assert_problem(client.get(f"{BASE}?status=retired", headers=headers), 422)


def test_a_center_client_verifies_and_rejects(app, client, shared):
    profile, record, certification = (
        shared["profile"],
        shared["record"],
        shared["certification"],
    )
    a = shared["centers"]["a"]
    url = f"{BASE}/{profile.id}/records/{record.id}/verification"
    read_only = center_token(app, a.id, "mediators:read")
    assert_problem(client.post(url, json={"verified": True}, headers=read_only), 403)
    assert_problem(client.post(url, json={"verified": True}), 401)
    before = file_rows()
    assert_problem(client.post(url, json={"verified": True}, headers=shared["tokens"]["c"]), 404)
    refused = client.post(
        url, json={"verified": False, "reason": " "}, headers=shared["tokens"]["a"]
    )
    assert "reason" in assert_problem(refused, 422)["errors"]["json"]
    assert file_rows() == before

    verified = client.post(
        url, json={"verified": True, "reason": None}, headers=shared["tokens"]["a"]
    )
    assert verified.status_code == 200, verified.json
    assert verified.json["verification"]["status"] == "verified"
    assert verified.json["verification"]["by_this_center"] is True
    db.session.expire_all()
    row = db.session.get(TrainingRecord, record.id)
    assert row.verification_status == VerificationStatus.VERIFIED
    assert row.verified_for_tenant_id == a.id
    assert row.verified_by_id is None  # a client's own token: no person behind it
    assert row.verified_at is not None

    # Center B sees it verified, by another center.
    seen = client.get(f"{BASE}/{profile.id}", headers=shared["tokens"]["b"]).json
    assert seen["records"][0]["verification"]["status"] == "verified"
    assert seen["records"][0]["verification"]["by_this_center"] is False

    rejected = client.post(
        f"{BASE}/{profile.id}/certifications/{certification.id}/verification",
        json={"verified": False, "reason": "Le certificat est illisible."},
        headers=shared["tokens"]["b"],
    )
    assert rejected.status_code == 200, rejected.json
    assert rejected.json["verification"]["status"] == "rejected"
    assert rejected.json["verification"]["reason"] == "Le certificat est illisible."
    assert rejected.json["compliance"]["status"]


def test_a_managers_token_records_who_verified(app, client):
    center = make_center()
    profile = MediatorProfileFactory()
    AffiliationFactory(tenant=center.tenant, profile=profile)
    records = [TrainingRecordFactory(profile=profile) for _ in range(2)]
    registered = register(
        "tenant", center.tenant.id, scopes=["mediators:read", "mediators:write"], name="Desk"
    )
    for person, record in ((center.admin, records[0]), (center.case_manager, records[1])):
        browser = app.test_client()
        sign_in(browser, person)
        token = authorization_code_tokens(browser, registered, "mediators:write")
        response = client.post(
            f"{BASE}/{profile.id}/records/{record.id}/verification",
            json={"verified": True},
            headers=bearer(token["access_token"]),
        )
        assert response.status_code == 200, response.json
    db.session.expire_all()
    rows = {
        r.id: r.verified_by_id
        for r in db.session.scalars(
            select(TrainingRecord).where(TrainingRecord.profile_id == profile.id)
        )
    }
    assert rows[records[0].id] == center.admin.id
    assert rows[records[1].id] is None  # a case manager does not vouch for the center


def test_a_mediators_own_token_is_refused_on_center_routes(app, client, shared):
    me = person_token(app, shared["person"], shared["centers"]["a"].id)
    assert_problem(client.get(BASE, headers=me), 403)


def test_a_center_client_adds_mediators_by_email(app, client, mailbox, shared):
    c = shared["centers"]["c"]
    headers = shared["tokens"]["c"]
    body = {
        "email": "Jean.Dupont@Example.org",
        "display_name": "Jean Dupont",
        "title": "Médiateur",
        "languages": ["fr"],
        "specialties": ["civil"],
        "regions": ["FR-69"],
        "modes": ["in_person"],
        "rate_min_eur": None,
        "rate_max_eur": None,
    }
    created = client.post(BASE, json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["profile"]["claimed"] is False
    assert created.json["profile"]["regions"] == ["FR-69"]  # the center's own creation
    assert created.json["affiliation"]["status"] == "invited"
    assert created.json["compliance"] == {
        "status": None,
        "certifications": [],
        "pending_verifications": 0,
    }
    mail = mailbox.last_to("jean.dupont@example.org")
    assert c.legal_name in mailbox.body(mail)
    assert mailbox.link_in(mail, "/claim/")
    profile_id = created.json["profile"]["id"]
    assert client.get(f"{BASE}/{profile_id}", headers=headers).status_code == 200

    # Someone with their own profile: invited; nothing of their file until they accept.
    invited = client.post(BASE, json={**body, "email": shared["person"].email}, headers=headers)
    assert invited.status_code == 201, invited.json
    assert invited.json["profile"]["id"] == str(shared["profile"].id)
    assert invited.json["profile"]["display_name"] == "Claire Martin"
    assert invited.json["profile"]["title"] is None and invited.json["compliance"] is None
    assert_problem(client.get(f"{BASE}/{shared['profile'].id}", headers=headers), 404)
    record = shared["record"]
    evidence = f"{BASE}/{shared['profile'].id}/records/{record.id}/evidence"
    assert_problem(client.get(evidence, headers=headers), 404)

    # Refused: a mediator already working with the center, a consent given for them.
    again = client.post(
        BASE, json={**body, "email": shared["person"].email}, headers=shared["tokens"]["a"]
    )
    assert "email" in assert_problem(again, 422)["errors"]["json"]
    consent = client.post(BASE, json={**body, "listed_publicly": True}, headers=headers)
    assert "listed_publicly" in assert_problem(consent, 422)["errors"]["json"]
    read_only = center_token(app, c.id, "mediators:read")
    assert_problem(client.post(BASE, json=body, headers=read_only), 403)
    assert "mediator.created" in audit_actions(c)


def test_a_center_client_changes_its_affiliation(app, client, shared):
    profile, a = shared["profile"], shared["centers"]["a"]
    url = f"{BASE}/{profile.id}"
    headers = shared["tokens"]["a"]
    changed = client.patch(
        url, json={"rate_eur": "160", "internal_notes": "Lundi seulement."}, headers=headers
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["affiliation"]["rate_eur"] == "160.00"
    assert changed.json["affiliation"]["internal_notes"] == "Lundi seulement."
    assert changed.json["affiliation"]["status"] == "active"  # left out: unchanged
    assert "affiliation.updated" in audit_actions(a)

    assert_problem(client.patch(url, json={"status": "retired"}, headers=headers), 422)
    assert_problem(client.patch(url, json={}, headers=headers), 422)  # nothing to change
    refused = client.patch(url, json={"published": True}, headers=headers)  # no consent
    assert "published" in assert_problem(refused, 422)["errors"]["json"]
    assert_problem(client.patch(url, json={"status": "ended"}, headers=shared["tokens"]["c"]), 404)
    read_only = center_token(app, a.id, "mediators:read")
    assert_problem(client.patch(url, json={"status": "ended"}, headers=read_only), 403)
    # Center B's own affiliation is untouched by A's changes.
    seen_by_b = client.get(url, headers=shared["tokens"]["b"]).json["affiliation"]
    assert seen_by_b["rate_eur"] == "222.22" and seen_by_b["internal_notes"] == "B-SECRET"

    ended = client.patch(url, json={"status": "ended", "rate_eur": None}, headers=headers)
    assert ended.status_code == 200, ended.json
    assert ended.json["affiliation"]["status"] == "ended"
    assert ended.json["compliance"] is None
    assert_problem(client.get(url, headers=headers), 404)
    assert_problem(client.patch(url, json={"status": "active"}, headers=headers), 404)


def test_a_verification_is_in_the_centers_audit_log(client, shared):
    profile, record = shared["profile"], shared["record"]
    response = client.post(
        f"{BASE}/{profile.id}/records/{record.id}/verification",
        json={"verified": True},
        headers=shared["tokens"]["a"],
    )
    assert response.status_code == 200, response.json
    assert "record.verified" in audit_actions(shared["centers"]["a"])
    assert "record.verified" not in audit_actions(shared["centers"]["b"])


def test_a_list_page_reads_the_same_number_of_statements_whatever_its_size(app, client):
    """The page's certifications and records are read in two queries, not two per mediator."""
    center = TenantFactory()
    headers = center_token(app, center.id, "mediators:read")
    # The first call loads the revocation snapshot: once a minute per process, not per page.
    assert client.get(BASE, headers=headers).status_code == 200
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    def statements_for(mediators: int) -> int:
        for _ in range(mediators):
            profile = MediatorProfileFactory()
            AffiliationFactory(tenant=center, profile=profile)
            CertificationFactory(profile=profile)
            TrainingRecordFactory(profile=profile)
        db.session.commit()
        settle(app)  # the marketplace's refresh jobs, queued by the seeding, run first
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"{BASE}?limit=100", headers=headers).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    assert statements_for(1) == statements_for(4)  # 1 mediator listed, then 5

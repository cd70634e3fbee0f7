"""The referral API: a partner sends a case, the center runs it, each reads its side;
idempotent creation; the state machine; the conflict-of-interest check; isolation
between partners and between centers."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from core.db import db
from core.oauth.models import OAuthClient
from core.tenancy import platform_scope, tenant_scope
from referrals import idempotency, lifecycle
from referrals.models import Referral, ReferralStatus
from tests.factories import PartnerFactory, ReferralFactory, TenantFactory
from tests.mediator_api import assert_problem
from tests.referrals.helpers import active_mediator, center_token, partner_token, referral_body
from tests.tenants.helpers import audit_actions, audit_rows

BASE, CENTER = "/api/v1/referrals", "/api/v1/center/referrals"


def count_referrals() -> int:
    db.session.expire_all()
    with platform_scope("test: count referrals"):
        found = db.session.scalar(select(func.count()).select_from(Referral))
    db.session.rollback()  # end the read: SQLite would keep writers waiting
    return found


@pytest.fixture
def sides(app):
    center, partner = TenantFactory(), PartnerFactory()
    return center, partner, partner_token(app, partner.id), center_token(app, center.id)


def test_a_case_from_referral_to_closing(app, client, sides):
    center, partner, as_partner, as_center = sides
    mediator = active_mediator(center)

    sent = client.post(BASE, json=referral_body(center), headers=as_partner)
    assert sent.status_code == 201, sent.json
    case = sent.json
    assert case["status"] == "submitted" and case["center"]["slug"] == center.slug
    assert case["next_steps"] == ["cancel"] and case["reference"] == "CAB-2026-0042"
    assert [p["name"] for p in case["parties"]] == ["Société Delta", "Hélène Garnier"]
    path = f"{CENTER}/{case['id']}"

    inbox = client.get(CENTER, headers=as_center).json["items"]
    assert [item["id"] for item in inbox] == [case["id"]]
    seen = client.get(path, headers=as_center).json
    assert seen["partner"]["slug"] == partner.slug and seen["summary"].startswith("Désaccord")
    assert seen["next_steps"] == ["acknowledge", "accept", "decline"]

    for step, body in (
        ("acknowledge", {}),
        ("accept", {}),
        ("assign", {"mediator_id": str(mediator.id)}),
        ("schedule", {"scheduled_at": "2026-12-10T14:00:00+01:00"}),
        ("outcome", {"outcome": "partial_agreement"}),
        ("close", {}),
    ):
        moved = client.post(f"{path}/{step}", json=body, headers=as_center)
        assert moved.status_code == 200, (step, moved.json)

    mine = client.get(f"{BASE}/{case['id']}", headers=as_partner).json
    assert mine["status"] == "closed" and mine["outcome"] == "partial_agreement"
    assert mine["mediator"] == {"id": str(mediator.id), "name": "Marc Lefèvre"}
    assert "partner" not in mine and mine["next_steps"] == []
    timeline = client.get(f"{BASE}/{case['id']}/events", headers=as_partner).json["items"]
    assert [(e["kind"], e["status"], e["actor"]) for e in timeline] == [
        ("created", "submitted", "partner"),
        ("acknowledge", "acknowledged", "center"),
        ("accept", "accepted", "center"),
        ("assign", "assigned", "center"),
        ("schedule", "scheduled", "center"),
        ("record_outcome", "concluded", "center"),
        ("close", "closed", "center"),
    ]
    assert timeline[3]["details"] == {"mediator": "Marc Lefèvre"}
    # Every read of the case's confidential fields is in the center's log, both sides'.
    assert audit_actions(center).count("referral.read") == 2


def test_partner_lists_its_own_referrals_with_filters_and_cursor(app, client, sides):
    center, _partner, as_partner, _ = sides
    ids = [
        client.post(BASE, json=referral_body(center, reference=f"R{i}"), headers=as_partner).json[
            "id"
        ]
        for i in range(3)
    ]
    client.post(f"{BASE}/{ids[0]}/cancel", json={}, headers=as_partner)
    ReferralFactory(tenant=center)  # another partner's case to the same center

    whole = client.get(BASE, headers=as_partner).json
    assert sorted(i["id"] for i in whole["items"]) == sorted(ids)  # not the other partner's
    first = client.get(BASE, query_string={"limit": 2}, headers=as_partner).json
    second = client.get(
        BASE, query_string={"limit": 2, "cursor": first["next_cursor"]}, headers=as_partner
    ).json
    assert first["items"] + second["items"] == whole["items"]  # newest first, in pages
    assert second["next_cursor"] is None
    cancelled = client.get(BASE, query_string={"status": "cancelled"}, headers=as_partner).json
    assert [i["id"] for i in cancelled["items"]] == [ids[0]]
    assert_problem(client.get(BASE, query_string={"limit": 101}, headers=as_partner), 400)
    assert_problem(client.get(BASE, query_string={"cursor": "nonsense"}, headers=as_partner), 400)
    assert_problem(client.get(BASE, query_string={"status": "lost"}, headers=as_partner), 422)


def test_partner_a_gets_404_on_partner_b_s_referral_everywhere(app, client, sides):
    center, _partner_b, as_b, _as_center = sides
    as_a = partner_token(app, PartnerFactory().id)
    theirs = client.post(BASE, json=referral_body(center), headers=as_b).json["id"]
    mine = client.post(BASE, json=referral_body(center), headers=as_a).json["id"]

    for path in (f"{BASE}/{{}}", f"{BASE}/{{}}/events"):
        assert client.get(path.format(mine), headers=as_a).status_code == 200  # control
        assert_problem(client.get(path.format(theirs), headers=as_a), 404)
    assert_problem(client.post(f"{BASE}/{theirs}/cancel", json={}, headers=as_a), 404)
    assert client.post(f"{BASE}/{mine}/cancel", json={}, headers=as_a).status_code == 200
    listed = client.get(BASE, headers=as_a).json["items"]
    assert [i["id"] for i in listed] == [mine]
    assert client.get(f"{BASE}/{theirs}", headers=as_b).json["status"] == "submitted"


def test_a_center_never_sees_another_center_s_referral(app, client, sides):
    center, _partner, as_partner, as_center = sides
    other = TenantFactory()
    as_other = center_token(app, other.id)
    case = client.post(BASE, json=referral_body(center), headers=as_partner).json["id"]

    assert client.get(f"{CENTER}/{case}", headers=as_center).status_code == 200  # control
    assert client.get(CENTER, headers=as_other).json["items"] == []
    for route in ("", "/events"):
        assert_problem(client.get(f"{CENTER}/{case}{route}", headers=as_other), 404)
    for step in ("acknowledge", "accept", "close"):
        assert_problem(client.post(f"{CENTER}/{case}/{step}", json={}, headers=as_other), 404)
    # A partner's token has no business on the center's routes, nor a center's on its.
    assert_problem(client.get(f"{CENTER}/{case}", headers=as_partner), 403)
    assert_problem(client.post(BASE, json=referral_body(center), headers=as_center), 403)


# --- idempotency ------------------------------------------------------------------------


def test_same_key_and_body_answer_the_first_response_once(app, client, sides):
    center, _partner, as_partner, _ = sides
    headers = {**as_partner, "Idempotency-Key": "create-42"}
    first = client.post(BASE, json=referral_body(center), headers=headers)
    again = client.post(BASE, json=referral_body(center), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert count_referrals() == 1

    other_body = client.post(BASE, json=referral_body(center, reference="X"), headers=headers)
    assert assert_problem(other_body, 422)["type"].endswith("idempotency-key-reused")
    assert count_referrals() == 1
    # The key is the client's own: another client may use the same one.
    as_other = partner_token(app, PartnerFactory().id)
    other = client.post(
        BASE, json=referral_body(center), headers={**as_other, "Idempotency-Key": "create-42"}
    )
    assert other.status_code == 201 and other.json["id"] != first.json["id"]


def test_a_concurrent_duplicate_gets_409_and_a_failed_write_frees_its_key(app, client, sides):
    center, partner, as_partner, _ = sides
    headers = {**as_partner, "Idempotency-Key": "slow-1"}
    body = referral_body(center)
    with platform_scope("test: the partner's client"):
        client_id = db.session.scalar(
            select(OAuthClient.client_id).where(OAuthClient.owner_id == partner.id)
        )
    # Another request with this key is running: it holds the key in Redis.
    held = f"{idempotency.LOCKS}:{client_id}:slow-1"
    redis = app.extensions["redis"]
    redis.set(held, 1)
    busy = client.post(BASE, json=body, headers=headers)
    assert assert_problem(busy, 409)["type"].endswith("idempotency-key-in-flight")
    assert count_referrals() == 0
    redis.delete(held)  # it finished without an answer (its process died): a retry runs
    done = client.post(BASE, json=body, headers=headers)
    assert done.status_code == 201 and "Idempotent-Replayed" not in done.headers
    assert not redis.exists(held)  # freed once answered
    again = client.post(BASE, json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == done.json
    assert count_referrals() == 1

    refused = client.post(
        BASE,
        json=referral_body(center, contact_consent=False),
        headers={**headers, "Idempotency-Key": "k2"},
    )
    assert_problem(refused, 422)
    assert not redis.exists(f"{idempotency.LOCKS}:{client_id}:k2")
    retried = client.post(BASE, json=body, headers={**headers, "Idempotency-Key": "k2"})
    assert retried.status_code == 201
    long_key = {**as_partner, "Idempotency-Key": "k" * 256}
    assert_problem(client.post(BASE, json=body, headers=long_key), 400)


def test_two_requests_with_one_key_that_both_run_write_one_case(app, client, sides, monkeypatch):
    """Should the Redis hold ever fail (expired under a stalled request), the unique
    index stops the second write: it is undone and the first answer given."""
    center, _partner, as_partner, _ = sides
    headers = {**as_partner, "Idempotency-Key": "raced"}
    body = referral_body(center)
    first = client.post(BASE, json=body, headers=headers)
    assert first.status_code == 201
    looked_up = idempotency._recorded
    calls = []

    def missed_once(*args):  # the second request looked before the first committed
        calls.append(args)
        return None if len(calls) == 1 else looked_up(*args)

    monkeypatch.setattr(idempotency, "_recorded", missed_once)
    second = client.post(BASE, json=body, headers=headers)
    assert len(calls) == 2
    assert second.status_code == 201 and second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count_referrals() == 1


# --- the state machine --------------------------------------------------------------------

CENTER_ROUTES = {
    "acknowledge": ("acknowledge", {}),
    "accept": ("accept", {}),
    "decline": ("decline", {"reason": "Pas de médiateur disponible."}),
    "assign": ("assign", None),  # the body names a mediator of the center
    "schedule": ("schedule", {"scheduled_at": "2026-12-10T14:00:00+01:00"}),
    "record_outcome": ("outcome", {"outcome": "agreement"}),
    "close": ("close", {}),
}


@pytest.mark.parametrize("status", list(ReferralStatus))
def test_every_step_not_allowed_from_a_status_is_a_409(app, client, sides, status):
    center, partner, as_partner, as_center = sides
    mediator = active_mediator(center)
    for name, step in lifecycle.STEPS.items():
        case = ReferralFactory(tenant=center, partner=partner, status=status)
        if step.actor == "partner":
            answer = client.post(f"{BASE}/{case.id}/cancel", json={}, headers=as_partner)
        else:
            route, body = CENTER_ROUTES[name]
            body = body if body is not None else {"mediator_id": str(mediator.id)}
            answer = client.post(f"{CENTER}/{case.id}/{route}", json=body, headers=as_center)
        if status in step.sources:
            assert answer.status_code == 200, (name, status, answer.json)
            assert answer.json["status"] == step.target.value
        else:
            problem = assert_problem(answer, 409)
            assert problem["type"].endswith("invalid-transition"), problem
            assert status.value in problem["title"]
            db.session.expire_all()
            with platform_scope("test: the case is unchanged"):
                assert db.session.get(Referral, case.id).status == status


# --- the conflict-of-interest check ----------------------------------------------------


def test_assigning_a_mediator_who_handled_a_party_is_refused_then_overridden(app, client, sides):
    center, _partner, as_partner, as_center = sides
    mediator, other = active_mediator(center), active_mediator(center, "Lise Moreau")
    earlier = uuid.uuid4()
    ReferralFactory(
        id=earlier,
        tenant=center,
        reference="ANCIEN-7",
        status=ReferralStatus.CLOSED,
        mediator_profile_id=mediator.id,
        parties=[("HELENE  garnier", "claimant", "autre@example.org")],
    )
    case = client.post(BASE, json=referral_body(center), headers=as_partner).json["id"]
    client.post(f"{CENTER}/{case}/accept", json={}, headers=as_center)

    refused = client.post(
        f"{CENTER}/{case}/assign", json={"mediator_id": str(mediator.id)}, headers=as_center
    )
    problem = assert_problem(refused, 409)
    assert problem["type"].endswith("conflict-of-interest")
    assert "ANCIEN-7" in problem["title"] and "Hélène Garnier" not in problem["title"]
    short = {"mediator_id": str(mediator.id), "override_reason": "ok"}
    assert_problem(client.post(f"{CENTER}/{case}/assign", json=short, headers=as_center), 409)

    # Another mediator, with no earlier case of these parties, goes through at once.
    fine = client.post(
        f"{CENTER}/{case}/assign", json={"mediator_id": str(other.id)}, headers=as_center
    )
    assert fine.status_code == 200 and fine.json["mediator"]["name"] == "Lise Moreau"
    assert "referral.conflict_overridden" not in audit_actions(center)

    reason = "Les parties ont accepté ce médiateur en connaissance de cause."
    overridden = client.post(
        f"{CENTER}/{case}/assign",
        json={"mediator_id": str(mediator.id), "override_reason": reason},
        headers=as_center,
    )
    assert overridden.status_code == 200 and overridden.json["mediator"]["id"] == str(mediator.id)
    (row,) = audit_rows(center, "referral.conflict_overridden")
    assert row.details["reason"] == reason and row.details["cases"] == [str(earlier)]
    # The partner never reads the center's reasons.
    timeline = client.get(f"{BASE}/{case}/events", headers=as_partner).get_data(as_text=True)
    assert reason not in timeline


def test_a_party_s_email_is_a_conflict_too_and_other_centers_cases_are_not(app, client, sides):
    center, _partner, as_partner, as_center = sides
    mediator = active_mediator(center)
    elsewhere = TenantFactory()
    ReferralFactory(
        tenant=elsewhere,
        mediator_profile_id=mediator.id,
        status=ReferralStatus.CLOSED,
        parties=[("Société Delta", "claimant", "juridique@delta.example")],
    )
    case = client.post(BASE, json=referral_body(center), headers=as_partner).json["id"]
    client.post(f"{CENTER}/{case}/accept", json={}, headers=as_center)
    assign = {"mediator_id": str(mediator.id)}
    assert client.post(f"{CENTER}/{case}/assign", json=assign, headers=as_center).status_code == 200

    ReferralFactory(
        tenant=center,
        reference="PAR-EMAIL",
        mediator_profile_id=mediator.id,
        status=ReferralStatus.CLOSED,
        parties=[("Un autre nom", "respondent", "H.Garnier@example.org".lower())],
    )
    second = client.post(BASE, json=referral_body(center), headers=as_partner).json["id"]
    client.post(f"{CENTER}/{second}/accept", json={}, headers=as_center)
    refused = client.post(f"{CENTER}/{second}/assign", json=assign, headers=as_center)
    assert "PAR-EMAIL" in assert_problem(refused, 409)["title"]


def test_only_the_center_s_active_mediators_can_be_assigned(app, client, sides):
    center, _partner, as_partner, as_center = sides
    stranger = active_mediator(TenantFactory(), "Paul Ailleurs")
    case = client.post(BASE, json=referral_body(center), headers=as_partner).json["id"]
    client.post(f"{CENTER}/{case}/accept", json={}, headers=as_center)
    refused = client.post(
        f"{CENTER}/{case}/assign", json={"mediator_id": str(stranger.id)}, headers=as_center
    )
    assert "mediator_id" in assert_problem(refused, 422)["errors"]["json"]


# --- what a referral must hold -------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"center": "no-such-center"}, "center"),
        ({"center": str(uuid.uuid4())}, "center"),
        ({"contact_consent": False}, "contact_consent"),
        ({"parties_informed": False}, "parties_informed"),
        ({"language": "zz"}, "language"),
        ({"dispute_type": "piracy"}, "dispute_type"),
        ({"parties": []}, "parties"),
        ({"amount_eur": "-5"}, "amount_eur"),
        ({"summary": "x" * 10_001}, "summary"),
        ({"surprise": "field"}, "surprise"),
        ({"preferred_mediator_id": str(uuid.uuid4())}, "preferred_mediator_id"),
    ],
)
def test_a_bad_referral_is_refused_field_by_field_and_leaves_nothing(
    app, client, sides, changes, field
):
    center, _partner, as_partner, _ = sides
    refused = client.post(BASE, json=referral_body(center, **changes), headers=as_partner)
    assert field in assert_problem(refused, 422)["errors"]["json"]
    assert count_referrals() == 0


def test_a_center_that_takes_no_referral_is_refused(app, client, sides):
    center, _partner, as_partner, _ = sides
    with tenant_scope(center.id):  # the center's own setting (RLS on PostgreSQL)
        center.accepts_referrals = False
        db.session.commit()
    refused = client.post(
        BASE, json=referral_body(center), headers={**as_partner, "Accept-Language": "en"}
    )
    assert (
        "does not accept referrals" in assert_problem(refused, 422)["errors"]["json"]["center"][0]
    )


def test_a_step_needs_no_body_but_refuses_one_that_is_not_json(app, client, sides):
    center, partner, _as_partner, as_center = sides
    case = ReferralFactory(tenant=center, partner=partner)
    path = f"{CENTER}/{case.id}"
    assert client.post(f"{path}/acknowledge", headers=as_center).status_code == 200
    text = {**as_center, "Content-Type": "text/plain"}
    assert_problem(client.post(f"{path}/accept", headers=text, data="accept"), 415)
    assert client.get(path, headers=as_center).json["status"] == "acknowledged"

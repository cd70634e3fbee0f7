"""The referral benchmark's bare baseline: one Flask endpoint, one INSERT.

    POST /referrals   (the body of `POST /api/v1/referrals`)

writes the case's row into `referrals` with the columns and values the app writes for
it (its fields from the JSON body; the center, the partner and the client from the
environment; status `submitted`, one step, both consents dated now) in one INSERT, and
answers the row's id as JSON with 201. Nothing else: no token check, no rate limit, no
validation, no idempotency record, no parties, no event, no scope or role switch, no
ORM. The same driver as the app (psycopg 3, `prepare_threshold=None` as core/db.py sets
it), one connection per worker process kept open in autocommit (the statement is its
own transaction), as the app's pool keeps one per sync worker. Served by gunicorn with
the app's settings (bench/referrals.py starts both).

Environment: BASELINE_DATABASE_URL (a libpq URL), BASELINE_TENANT_ID,
BASELINE_PARTNER_ID, BASELINE_CLIENT_ID.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import psycopg
from flask import Flask, jsonify, request

# The columns of the app's INSERT INTO referrals (referrals.cases.send).
INSERT = """
INSERT INTO referrals (
    id, tenant_id, partner_id, client_id, created_by_id, reference, dispute_type, summary,
    amount_eur, urgency, language, preferred_mode, preferred_profile_id,
    parties_informed_at, contact_consented_at, status, decline_reason, mediator_profile_id,
    scheduled_at, outcome, steps, created_at, updated_at
) VALUES (
    %(id)s, %(tenant_id)s, %(partner_id)s, %(client_id)s, NULL, %(reference)s,
    %(dispute_type)s, %(summary)s, %(amount_eur)s, %(urgency)s, %(language)s,
    %(preferred_mode)s, NULL, %(now)s, %(now)s, 'submitted', NULL, NULL, NULL, NULL, 1,
    %(now)s, %(now)s
)
"""

app = Flask(__name__)
_connection: list[psycopg.Connection] = []


def connection() -> psycopg.Connection:
    if not _connection or _connection[0].closed:
        _connection[:] = [
            psycopg.connect(
                os.environ["BASELINE_DATABASE_URL"], prepare_threshold=None, autocommit=True
            )
        ]
    return _connection[0]


@app.post("/referrals")
def create_referral():
    body = request.get_json()
    row_id = uuid.uuid4()
    connection().execute(
        INSERT,
        {
            "id": row_id,
            "tenant_id": os.environ["BASELINE_TENANT_ID"],
            "partner_id": os.environ["BASELINE_PARTNER_ID"],
            "client_id": os.environ["BASELINE_CLIENT_ID"],
            "reference": body.get("reference"),
            "dispute_type": body.get("dispute_type"),
            "summary": body.get("summary"),
            "amount_eur": body.get("amount_eur"),
            "urgency": body.get("urgency", "standard"),
            "language": body.get("language"),
            "preferred_mode": body.get("preferred_mode"),
            "now": datetime.now(UTC),
        },
    )
    return jsonify(id=str(row_id)), 201


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")

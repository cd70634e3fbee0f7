"""Row-level security: the application role and fail-closed tenant policies.

PostgreSQL only (SQLite, the embedded default, has no RLS; the ORM guard still applies).
The app logs in as the tables' owner or a superuser in CI and `make run`, and switches
to the NOLOGIN role created here in every transaction (`SET LOCAL ROLE`); that role owns
no table and has no BYPASSRLS, so the policies bind it. Production may log in as a
dedicated role granted the same rights instead (see README, "Database roles").

Policies read settings the app publishes per transaction with set_config(..., true):
`app.tenant_id`, `app.user_id`, `app.platform` ('on' inside an audited platform scope).
An unset setting reads as '' on a pooled connection, so each is wrapped in NULLIF: no
tenant, no rows.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "mediation_hub_app"

TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
USER = "NULLIF(current_setting('app.user_id', true), '')::uuid"
PLATFORM = "coalesce(current_setting('app.platform', true), '') = 'on'"

# Tenant-owned tables and, for some, the subject that may read its own rows across
# tenants when no tenant is set (mirrors TenantScoped.__subject_columns__).
TENANT_TABLES: dict[str, str | None] = {
    "memberships": "user_id",
    "invitations": None,
    "audit_events": None,
}


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _is_postgres():
        return
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
            END IF;
        END
        $$;
        """
    )
    # The migrating user must be able to SET ROLE to it (implicit for a superuser).
    op.execute(f"GRANT {APP_ROLE} TO current_user")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {APP_ROLE}")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}"
    )

    for table, subject in TENANT_TABLES.items():
        own_tenant = f"tenant_id = {TENANT}"
        readable = f"{own_tenant} OR {PLATFORM}"
        if subject:
            readable += f" OR ({TENANT} IS NULL AND {subject} = {USER})"
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_tenant_isolation ON {table} FOR ALL "
            f"USING ({readable}) WITH CHECK ({own_tenant} OR {PLATFORM})"
        )

    # The tenancy root: every center's public identity is readable (slug resolution,
    # the marketplace), but only the center itself, or the platform, may change it.
    op.execute("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenants FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY tenants_read ON tenants FOR SELECT USING (true)")
    for command in ("INSERT", "UPDATE", "DELETE"):
        clause = "WITH CHECK" if command == "INSERT" else "USING"
        extra = f" WITH CHECK (id = {TENANT} OR {PLATFORM})" if command == "UPDATE" else ""
        op.execute(
            f"CREATE POLICY tenants_{command.lower()} ON tenants FOR {command} "
            f"{clause} (id = {TENANT} OR {PLATFORM}){extra}"
        )


def downgrade() -> None:
    if not _is_postgres():
        return
    for command in ("delete", "update", "insert", "read"):
        op.execute(f"DROP POLICY IF EXISTS tenants_{command} ON tenants")
    op.execute("ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenants DISABLE ROW LEVEL SECURITY")
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY IF EXISTS {table}_tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP_ROLE}"
    )
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")

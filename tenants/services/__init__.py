"""Center services: the rules and transactions behind the center pages.

Split by concern (DESIGN.md: a sub-package past ~400 lines); import from here:
`from tenants import services` then `services.sign_up(...)`.
"""

from tenants.services.centers import (
    SETTINGS_FIELDS,
    SignUp,
    activate_pending_centers,
    available_slug,
    describe_center,
    find_live_center,
    list_workspaces,
    resolve_workspace,
    sign_up,
    update_settings,
)
from tenants.services.invitations import (
    AccountExists,
    InvitationUnavailable,
    InvitationView,
    WrongAccount,
    accept_invitation,
    invite,
    open_invitation,
    pending_invitations,
    resend_invitation,
    revoke_invitation,
)
from tenants.services.members import (
    AUDIT_PAGE_SIZE,
    audit_page,
    change_role,
    dashboard_summary,
    members,
    remove_member,
)
from tenants.services.rules import (
    RESERVED_SLUGS,
    FieldError,
    NotFound,
    RuleError,
    luhn_ok,
    normalize_registration,
    registration_problem,
    slug_problem,
    suggest_slug,
    time_zones,
)

__all__ = [
    "AUDIT_PAGE_SIZE",
    "RESERVED_SLUGS",
    "SETTINGS_FIELDS",
    "AccountExists",
    "FieldError",
    "InvitationUnavailable",
    "InvitationView",
    "NotFound",
    "RuleError",
    "SignUp",
    "WrongAccount",
    "accept_invitation",
    "activate_pending_centers",
    "audit_page",
    "available_slug",
    "change_role",
    "dashboard_summary",
    "describe_center",
    "find_live_center",
    "invite",
    "list_workspaces",
    "luhn_ok",
    "members",
    "normalize_registration",
    "open_invitation",
    "pending_invitations",
    "registration_problem",
    "remove_member",
    "resend_invitation",
    "resolve_workspace",
    "revoke_invitation",
    "sign_up",
    "slug_problem",
    "suggest_slug",
    "time_zones",
    "update_settings",
]

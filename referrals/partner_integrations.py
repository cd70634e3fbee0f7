"""A partner's API clients (the partner side of the OAuth server): list, register, rotate
a secret, disable, enable.

Routes of the `partners` blueprint, for the organisation's administrators: core's API
client pages (core.oauth.client_pages), as the centers have them, with the partner as
the clients' owner (another partner's client, or a center's, is a 404), its form
(partner scopes, test clients), Paris time and its words
(referrals/partners/integrations.html, referrals/partners/integration_new.html).
"""

from __future__ import annotations

from core.oauth.client_pages import ClientPages, add_client_pages
from referrals.partner_forms import PartnerClientForm
from referrals.partner_views import ADMINS, bp, partner_time

PAGES = ClientPages(
    kind="partner",
    roles=ADMINS,
    form=PartnerClientForm,
    id_arg="partner_client_id",
    templates="referrals/partners",
    local_time=partner_time,
)
add_client_pages(bp, "/p/<partner_slug>/integrations", PAGES)

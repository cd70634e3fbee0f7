"""The center's API clients (integrations): list, register, rotate a secret, disable.

Routes of the `tenants` blueprint, for owners and administrators: core's API client
pages (core.oauth.client_pages), with the center as the clients' owner and its own
form, time zone and words (tenants/integrations.html, tenants/integration_new.html).
"""

from __future__ import annotations

from core.oauth.client_pages import ClientPages, add_client_pages
from tenants.forms import ClientForm
from tenants.views import MANAGERS, _local_time, bp

PAGES = ClientPages(
    kind="tenant",
    roles=MANAGERS,
    form=ClientForm,
    id_arg="client_id",
    templates="tenants",
    local_time=_local_time,
)
add_client_pages(bp, "/c/<slug>/integrations", PAGES)

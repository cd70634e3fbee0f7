"""The platform staff area: tenants overview, read through the audited platform scope."""

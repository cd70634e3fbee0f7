"""Mediation centers (tenants): onboarding, members and roles, settings, dashboard."""

"""Shared kernel of Mediation Hub: app factory, persistence, tenancy, accounts and services."""

"""Accounts: one global identity per person, sessions, passwords, two-factor auth."""

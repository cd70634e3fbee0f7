"""Referral partners (law firms, associations, platforms, courts) and their cases."""

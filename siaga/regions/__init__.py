"""Kemendagri regions: provinces, regencies, districts, villages."""

"""Demo data for the three seed regions."""

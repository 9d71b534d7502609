"""Aid logistics models (items, depots, stock ledger, distributions, requests)."""

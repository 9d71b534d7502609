"""Siaga Bencana."""

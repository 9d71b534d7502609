"""Shelters (posko pengungsian) and evacuation points (titik kumpul, TES)."""

"""Chip authenticity: Active Authentication (Doc 9303-11 §6.1), Chip Authentication (§6.2)."""

"""Secure messaging (ICAO Doc 9303-11 §9.8) and its key derivation (§9.7.1)."""

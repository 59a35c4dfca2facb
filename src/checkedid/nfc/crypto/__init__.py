"""Crypto helpers no library offers: prime curves, domain parameters, public keys."""

"""Passive Authentication (Doc 9303-11 §5.1, 9303-12): EF.SOD signer, CSCA trust, CRLs."""

"""Access control: BAC/BAP (Doc 9303-11 §4.3) and PACE (§4.4) with its mappings."""

"""A virtual eMRTD chip for pcscd's vpcd reader driver.

``python -m hw.vchip --persona NAME [--fault NAME] [--port 35963]`` connects to
vpcd and answers APDUs like an ICAO Doc 9303 chip; see hw/README.md.
"""

from hw.vchip.chip import ChipState, Router, VirtualChip

__all__ = ["ChipState", "Router", "VirtualChip"]

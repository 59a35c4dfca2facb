"""ISO/IEC 7816-4 transport layer: APDUs, BER-TLV, transports, PC/SC."""

"""Hardware test bed: the virtual eMRTD chip (``hw.vchip``) and the test PKI (``hw.pki``)."""

"""``checkedid kiosk``: the reference kiosk — a local ASGI service and the page that guides
the person through document, chip, selfie and decision.

    from checkedid.kiosk import Kiosk, KioskConfig, create_app
    app = create_app(Kiosk(KioskConfig(trust=["csca/"], reader="ACS")))
    # uvicorn.run(app, host="127.0.0.1", port=8765)
"""

from __future__ import annotations

from checkedid.kiosk.app import create_app
from checkedid.kiosk.core import Busy, Kiosk, KioskConfig

__all__ = ["Busy", "Kiosk", "KioskConfig", "create_app"]

"""Images for the kiosk tests: the persona's generated document photo and sample selfies.

The selfie is another photo of the persona's holder (not the chip's portrait), the
impostor another person's photo. The sample faces come from ``tests/data/faces``
(``CHECKEDID_FACES`` names another directory).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import data_path

GOOD = "utopia-id-pace-gm"


def faces_dir() -> Path:
    if os.environ.get("CHECKEDID_FACES"):
        return Path(os.environ["CHECKEDID_FACES"])
    return data_path("faces")


def kiosk_images(persona: str = GOOD) -> dict[str, bytes]:
    from hw.vchip.personas import spec

    from checkedid.demo import document_photo, sample_selfie

    photo = spec(persona).photo
    return {"document": document_photo(persona, seed=3, png=True),
            "selfie": Path(sample_selfie(photo)).read_bytes(),
            "impostor": Path(sample_selfie(photo, impostor=True)).read_bytes()}

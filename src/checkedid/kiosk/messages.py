"""Stable codes and the words for them: what the person at the kiosk reads (nl, en, de)
and what the operator reads (English, may carry status words).

Every error and guidance the kiosk shows has a machine code (``mrz.not_found``,
``chip.removed``, ``face.too_dark`` ...) that integrators can rely on; the texts may
change. :func:`for_error` maps a :mod:`checkedid.errors` exception to a code and the
input it concerns (``"document"`` or ``"selfie"`` for image errors).
"""

from __future__ import annotations

from typing import Any

from checkedid import errors

__all__ = ["LANGS", "OPERATOR", "TEXTS", "describe", "for_error", "text"]

LANGS = ("nl", "en", "de")

#: code -> (nl, en, de) for the person at the kiosk.
TEXTS: dict[str, tuple[str, str, str]] = {
    # steps and guidance
    "step.start": ("Welkom: controleer uw identiteitsdocument",
                   "Welcome: check your identity document",
                   "Willkommen: prüfen Sie Ihr Ausweisdokument"),
    "button.start": ("Start", "Start", "Start"),
    "card.on": ("Document op de lezer", "Document on the reader", "Dokument auf dem Lesegerät"),
    "step.error": ("Niet gelukt", "Not completed", "Nicht gelungen"),
    "step.document": ("Houd uw document voor de camera",
                      "Show your document to the camera",
                      "Halten Sie Ihr Dokument vor die Kamera"),
    "step.chip": ("Leg uw document op de lezer",
                  "Place your document on the reader",
                  "Legen Sie Ihr Dokument auf das Lesegerät"),
    "step.selfie": ("Kijk in de camera", "Look at the camera", "Schauen Sie in die Kamera"),
    "step.decision": ("Resultaat", "Result", "Ergebnis"),
    "mrz.searching": ("Houd de onderkant van de fotopagina in beeld",
                      "Keep the bottom of the photo page in view",
                      "Halten Sie den unteren Teil der Fotoseite ins Bild"),
    "mrz.not_found": ("Geen leesbare code gevonden: houd het document stil en dichterbij",
                      "No readable code found: hold the document still and closer",
                      "Kein lesbarer Code gefunden: Dokument ruhig und näher halten"),
    "mrz.check_digits": ("Bijna gelukt: houd het document stil",
                         "Almost there: hold the document still",
                         "Fast geschafft: Dokument ruhig halten"),
    "mrz.found": ("Document herkend", "Document recognised", "Dokument erkannt"),
    # the camera scanner's guidance (checkedid.mrz.scanner reasons)
    "mrz.reading": ("Wordt gelezen: houd het document zo",
                    "Reading: keep the document where it is",
                    "Wird gelesen: Dokument so halten"),
    "mrz.move_closer": ("Houd het document dichter bij de camera",
                        "Move the document closer to the camera",
                        "Halten Sie das Dokument näher an die Kamera"),
    "mrz.glare": ("Te veel schittering: kantel het document een beetje",
                  "Too much glare: tilt the document a little",
                  "Zu viel Spiegelung: kippen Sie das Dokument etwas"),
    "mrz.hold_still": ("Houd het document stil", "Hold the document still",
                       "Halten Sie das Dokument ruhig"),
    "chip.waiting": ("Leg het document plat op de lezer",
                     "Lay the document flat on the reader",
                     "Legen Sie das Dokument flach auf das Lesegerät"),
    "chip.reading": ("Chip wordt gelezen: niet bewegen",
                     "Reading the chip: do not move it",
                     "Chip wird gelesen: nicht bewegen"),
    "chip.removed": ("Laat het document op de lezer liggen",
                     "Keep the document on the reader",
                     "Lassen Sie das Dokument auf dem Lesegerät"),
    "chip.no_card": ("Geen document op de lezer gevonden",
                     "No document found on the reader",
                     "Kein Dokument auf dem Lesegerät gefunden"),
    "chip.no_reader": ("De lezer werkt niet: vraag een medewerker",
                       "The reader is not working: ask a member of staff",
                       "Das Lesegerät funktioniert nicht: wenden Sie sich an das Personal"),
    "chip.access_denied": ("De chip kon niet worden geopend: probeer opnieuw",
                           "The chip could not be opened: please try again",
                           "Der Chip konnte nicht geöffnet werden: bitte erneut versuchen"),
    "chip.error": ("De chip kon niet worden gelezen: probeer opnieuw",
                   "The chip could not be read: please try again",
                   "Der Chip konnte nicht gelesen werden: bitte erneut versuchen"),
    "chip.timeout": ("Het lezen duurde te lang: probeer opnieuw",
                     "Reading took too long: please try again",
                     "Das Lesen hat zu lange gedauert: bitte erneut versuchen"),
    "chip.done": ("Chip gelezen: u kunt het document wegnemen",
                  "Chip read: you can take the document",
                  "Chip gelesen: Sie können das Dokument nehmen"),
    "face.searching": ("Kijk recht in de camera", "Look straight into the camera",
                       "Schauen Sie gerade in die Kamera"),
    "face.not_found": ("Geen gezicht gezien: kijk in de camera",
                       "No face seen: look into the camera",
                       "Kein Gesicht erkannt: schauen Sie in die Kamera"),
    "face.too_dark": ("Te donker: zoek meer licht", "Too dark: find more light",
                      "Zu dunkel: suchen Sie mehr Licht"),
    "face.too_bright": ("Te fel licht: ga uit de felle zon", "Too bright: step out of the glare",
                        "Zu hell: gehen Sie aus dem grellen Licht"),
    "face.too_small": ("Kom dichterbij", "Come closer", "Kommen Sie näher"),
    "face.blurred": ("Blijf stil staan", "Hold still", "Bitte stillhalten"),
    "face.turned": ("Kijk recht vooruit", "Look straight ahead", "Schauen Sie geradeaus"),
    "face.cut_off": ("Zorg dat uw hele gezicht in beeld is", "Keep your whole face in view",
                     "Ihr ganzes Gesicht muss im Bild sein"),
    "face.low_contrast": ("Zoek gelijkmatig licht", "Find even light",
                          "Suchen Sie gleichmäßiges Licht"),
    "decision.verified": ("Gecontroleerd: uw identiteit is bevestigd",
                          "Verified: your identity is confirmed",
                          "Geprüft: Ihre Identität ist bestätigt"),
    "decision.rejected": ("Niet bevestigd: vraag een medewerker om hulp",
                          "Not confirmed: please ask a member of staff",
                          "Nicht bestätigt: bitte wenden Sie sich an das Personal"),
    "decision.incomplete": ("Niet afgerond: probeer opnieuw of vraag een medewerker",
                            "Not completed: try again or ask a member of staff",
                            "Nicht abgeschlossen: erneut versuchen oder Personal fragen"),
    # errors of the service and of inputs
    "kiosk.busy": ("Er loopt al een controle: even geduld",
                   "A check is already running: please wait",
                   "Eine Prüfung läuft bereits: bitte warten"),
    "upload.too_large": ("Het bestand is te groot", "The file is too large",
                         "Die Datei ist zu groß"),
    "upload.missing": ("Er ontbreekt een foto", "A photo is missing", "Ein Foto fehlt"),
    "image.invalid": ("Dit is geen bruikbare foto", "This is not a usable photo",
                      "Dies ist kein brauchbares Foto"),
    "input.invalid": ("Ongeldige invoer", "Invalid input", "Ungültige Eingabe"),
    "trust.error": ("Vraag een medewerker om hulp", "Please ask a member of staff",
                    "Bitte wenden Sie sich an das Personal"),
    "internal.error": ("Er ging iets mis: vraag een medewerker",
                       "Something went wrong: ask a member of staff",
                       "Etwas ist schiefgelaufen: wenden Sie sich an das Personal"),
    "delivery.failed": ("Het resultaat kon niet worden verstuurd: vraag een medewerker",
                        "The result could not be sent: ask a member of staff",
                        "Das Ergebnis konnte nicht gesendet werden: Personal fragen"),
}

#: code -> the operator's text where the code alone says too little (English).
OPERATOR: dict[str, str] = {
    "mrz.searching": "waiting for camera frames of the document's machine-readable zone",
    "mrz.not_found": "no machine-readable zone in the camera frame",
    "mrz.reading": "the zone reads with valid check digits; waiting for agreeing frames "
                   "(the scanner votes over 3)",
    "mrz.move_closer": "a zone is in view but its characters are too small to read "
                       "(below the scanner's minimum pitch)",
    "mrz.glare": "a reflection washes out part of the zone; those characters cast no vote",
    "mrz.hold_still": "the zone is blurred (motion or focus) or the frames disagree",
    "mrz.check_digits": "the zone was read but a check digit fails (ICAO Doc 9303-3 4.9)",
    "mrz.found": "the voted zone holds its check digits over agreeing frames; opening the chip",
    "image.invalid": "the image cannot be decoded",
}

_FACE_WORDS = (("too dark", "face.too_dark"), ("overexposed", "face.too_bright"),
               ("too small", "face.too_small"), ("blurred", "face.blurred"),
               ("turned away", "face.turned"), ("partly outside", "face.cut_off"),
               ("contrast", "face.low_contrast"))


def text(code: str, lang: str = "en") -> str:
    """The person's message for ``code`` in ``lang`` (English for an unknown language)."""
    row = TEXTS.get(code) or TEXTS["internal.error"]
    return row[LANGS.index(lang) if lang in LANGS else 1]


def describe(code: str, *, operator: str = "", input: str | None = None) -> dict[str, Any]:
    """The wire form: code, the person's text in every language, the operator's text."""
    out: dict[str, Any] = {"code": code, "message": {lang: text(code, lang) for lang in LANGS},
                           "operator": operator or OPERATOR.get(code, code)}
    if input is not None:
        out["input"] = input
    return out


def for_error(exc: BaseException, step: str | None = None) -> dict[str, Any]:
    """Code, texts and (for image and face errors) the input that failed.

    ``step``: the verification step that was running (``selfie``, ``mrz``, ``chip``,
    ``face`` ...), which tells the document's image errors from the selfie's.
    """
    operator = str(exc)
    if isinstance(exc, errors.FaceQualityError):
        code = next((c for w, c in _FACE_WORDS if w in operator), "face.not_found")
        return describe(code, operator=operator, input="selfie")
    if isinstance(exc, errors.BiometricError):
        return describe("face.not_found", operator=operator, input="selfie")
    if isinstance(exc, errors.MRZError):
        return describe("mrz.not_found", operator=operator, input="document")
    if isinstance(exc, errors.ImageError):
        return describe("image.invalid", operator=operator,
                        input="selfie" if step in ("selfie", "face") else "document")
    if isinstance(exc, errors.InputError):
        if "MRZ" in operator:
            return describe("mrz.check_digits", operator=operator, input="document")
        return describe("input.invalid", operator=operator)
    table: tuple[tuple[type[BaseException], str], ...] = (
        (errors.NoReaderError, "chip.no_reader"), (errors.NoCardError, "chip.no_card"),
        (errors.CardRemovedError, "chip.removed"), (errors.ChipTimeout, "chip.timeout"),
        (errors.AccessDenied, "chip.access_denied"), (errors.ChipError, "chip.error"),
        (errors.TrustStoreError, "trust.error"))
    for cls, code in table:
        if isinstance(exc, cls):
            sw = getattr(exc, "sw", None)
            if sw is not None:
                operator = f"{operator} (SW {int(sw):04X})"
            return describe(code, operator=operator)
    return describe("internal.error", operator=f"{type(exc).__name__}: {operator}")

"""The one exception hierarchy of checkedid.

Every error that leaves the library is a :class:`CheckedIDError`; a caller that
wants to survive any single document (a kiosk's reader loop) catches that one
class. Messages name the step, file or status word and what an operator can do
about it; they never contain personal data (names, document numbers, dates,
MRZ text) or key material.

Authentication *failures* (a hash mismatch, a bad signature, a cloned chip) are
not exceptions: they are :class:`checkedid.verdict.Verdict` values in the result.
Exceptions are for input we cannot process and for transport/protocol breakage.

::

    CheckedIDError
    ├── InputError                    bad argument, unreadable file, unsupported value
    │   └── ImageError                image cannot be decoded or is out of sane bounds
    ├── MRZError                      malformed MRZ text (line / position in .line, .position)
    │   └── MRZNotFound               no MRZ in the photo (fast reject for camera loops)
    ├── ParseError                    malformed binary data from outside
    │   ├── TLVError                  BER-TLV structure broken (offset in .offset)
    │   ├── LDSError                  EF.COM / DG / SOD content wrong (file in .file)
    │   └── CertificateError          certificate, CRL or master list unusable
    ├── ChipError                     the chip or reader did not do what we asked
    │   ├── TransportError            reader/PC/SC failure
    │   │   ├── NoReaderError         no PC/SC reader (or none with that name)
    │   │   ├── NoCardError           no card on the reader (within the timeout)
    │   │   └── CardRemovedError      card left the field during the read
    │   ├── StatusWordError           unexpected status word (in .sw, .step)
    │   │   ├── AccessDenied          6982 / 6983 / 6985 / 6A88-style refusals
    │   │   └── FileNotFound          6A82
    │   ├── SecureMessagingError      bad response MAC, missing DOs, SSC out of step
    │   ├── ProtocolError             BAC / PACE / CA exchange went wrong (in .step)
    │   ├── DocumentChangedError      after a card removal another reader or chip answered
    │   └── ChipTimeout               a deadline for the read passed
    ├── TrustStoreError               trust material missing or unusable
    ├── BiometricError                face detection / quality / model problems
    │   ├── NoFaceError
    │   ├── FaceQualityError
    │   └── BackendUnavailable        the optional face extra is not installed
    ├── SecretWipedError              use of a Secret after wipe()
    └── InternalError                 a bug: an unexpected exception in a step (type, step only)
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "BackendUnavailable",
    "BiometricError",
    "CardRemovedError",
    "CertificateError",
    "CheckedIDError",
    "ChipError",
    "ChipTimeout",
    "DocumentChangedError",
    "FaceQualityError",
    "FileNotFound",
    "ImageError",
    "InputError",
    "InternalError",
    "LDSError",
    "MRZError",
    "MRZNotFound",
    "NoCardError",
    "NoFaceError",
    "NoReaderError",
    "ParseError",
    "ProtocolError",
    "SecretWipedError",
    "SecureMessagingError",
    "StatusWordError",
    "TLVError",
    "TransportError",
    "TrustStoreError",
]


class CheckedIDError(Exception):
    """Root of every error raised by checkedid."""


class InputError(CheckedIDError):
    """A caller-supplied argument or file cannot be used."""


class ImageError(InputError):
    """An image cannot be decoded, or its dimensions are beyond sane bounds."""


class MRZError(CheckedIDError):
    """MRZ text is malformed.

    ``line`` and ``position`` (both 1-based, or ``None``) point at the offending
    character so an operator can see which part of the zone was misread.
    """

    def __init__(self, message: str, *, line: int | None = None, position: int | None = None):
        where = ""
        if line is not None:
            at = f", position {position}" if position is not None else ""
            where = f" (line {line}{at})"
        super().__init__(message + where)
        self.line = line
        self.position = position


class MRZNotFound(MRZError):
    """No machine-readable zone was found in the image."""


class ParseError(CheckedIDError):
    """Binary data from outside (chip, file, network) is malformed."""


class TLVError(ParseError):
    """A BER-TLV structure is broken; ``offset`` is where decoding stopped."""

    def __init__(self, message: str, *, offset: int | None = None):
        super().__init__(message + (f" (at byte {offset})" if offset is not None else ""))
        self.offset = offset


class LDSError(ParseError):
    """An LDS file (EF.COM, EF.SOD, a data group) has wrong content."""

    def __init__(self, message: str, *, file: str | None = None):
        super().__init__((f"{file}: " if file else "") + message)
        self.file = file


class CertificateError(ParseError):
    """A certificate, CRL or master list cannot be parsed or used."""


class ChipError(CheckedIDError):
    """The chip or the reader did not do what was asked."""


class TransportError(ChipError):
    """The PC/SC layer or the reader failed."""


class NoReaderError(TransportError):
    """No PC/SC reader is connected (or none matches the requested name)."""


class NoCardError(TransportError):
    """No card was presented on the reader within the timeout."""


class CardRemovedError(TransportError):
    """The card left the reader's field during the operation."""


class StatusWordError(ChipError):
    """The chip answered with an unexpected status word.

    ``sw`` is the 16-bit status word, ``step`` names what we were doing
    (e.g. ``"READ BINARY EF.DG2"``).
    """

    def __init__(self, message: str, *, sw: int, step: str | None = None):
        text = f"{step}: " if step else ""
        super().__init__(f"{text}{message} (SW {sw:04X})")
        self.sw = sw
        self.step = step


class AccessDenied(StatusWordError):
    """The chip refused access (security status not satisfied, wrong key, EAC needed)."""


class FileNotFound(StatusWordError):
    """The chip has no such file (6A82)."""


class SecureMessagingError(ChipError):
    """A secure-messaging response failed its MAC check or was malformed."""


class ProtocolError(ChipError):
    """An authentication protocol exchange (BAC, PACE, CA) broke; ``step`` names where."""

    def __init__(self, message: str, *, step: str | None = None):
        super().__init__((f"{step}: " if step else "") + message)
        self.step = step


class DocumentChangedError(ChipError):
    """After the card left the field, the session could not prove it continues with the
    same document on the same reader (another reader, a refused access key, or a
    different EF.SOD): the read ends rather than mix two documents."""


class ChipTimeout(ChipError):
    """The deadline for a chip operation passed."""


class TrustStoreError(CheckedIDError):
    """Trust material (CSCA certificates, master lists, CRLs) is missing or unusable."""


class BiometricError(CheckedIDError):
    """Face detection, quality checks or the face model failed."""


class NoFaceError(BiometricError):
    """No face was found in an image."""


class FaceQualityError(BiometricError):
    """A face was found but the image is not good enough to compare."""


class BackendUnavailable(BiometricError):
    """The face-matching backend is not installed (``pip install 'checkedid[face]'``)."""


class SecretWipedError(CheckedIDError):
    """A :class:`checkedid.secret.Secret` was used after it was wiped."""


class InternalError(CheckedIDError):
    """An unexpected exception inside checkedid (a bug).

    Only the exception type and the step are reported: the original message may
    contain personal data, so it is not carried over.
    """

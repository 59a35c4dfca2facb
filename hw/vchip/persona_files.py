"""Personas from files: a TOML description, or the files of a real read served as they are.

``python -m hw.vchip --persona PATH`` (and ``VChipProcess(str(PATH))``) accepts, beside the
names of the built-in catalogue:

* a **TOML file** (or a directory holding ``persona.toml``) that describes a persona as a
  built-in one changed: ``base`` names the catalogue persona to start from, every other key
  is a :class:`~hw.vchip.personas.PersonaSpec` field, ``[pace]`` a
  :class:`~hw.vchip.personas.PaceConfig`; ``photo`` may be a path relative to the file::

      base = "utopia-id-pace-gm"
      name = "qa-p256-cam"
      description = "PACE-CAM on P-256, no AA"
      document_number = "Q12345678"
      photo = "portrait.jpg"
      aa = ""                       # "" = none
      fault = "tampered-dg2"        # any fault persona's fault
      [pace]
      mapping = "ECDH-CAM"
      cipher = "AES-256"
      parameter_id = 12

* a **dump directory** written by ``checkedid read --save DIR`` (``EF.COM``, ``EF.SOD``,
  ``DGn.bin``, ``EF.CardAccess``): the chip serves those files byte for byte. It opens with
  BAC, or PACE with the MRZ when ``EF.CardAccess`` was saved, using the MRZ in ``DG1``. It
  has none of the original chip's private keys — so it behaves exactly like a clone: its
  Passive Authentication passes and Active / Chip Authentication cannot. A QA engineer
  replays a failing document's files without the document, and sees the clone verdict.

Personal data: a dump holds what the document holds; keep dumps where ``--save`` put them
(owner-readable) and delete them after use.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from hw.vchip.iso7816 import TlvError, tlv_list
from hw.vchip.personas import PaceConfig, Persona, PersonaSpec, check_digit, spec

__all__ = ["DumpSpec", "is_persona_path", "load"]

_MAPPINGS = {1: "DH-GM", 2: "ECDH-GM", 3: "DH-IM", 4: "ECDH-IM", 6: "ECDH-CAM"}
_CIPHERS = {1: "3DES", 2: "AES-128", 3: "AES-192", 4: "AES-256"}
_PACE_PREFIX = "0.4.0.127.0.7.2.2.4."


def is_persona_path(name: str) -> bool:
    """True when ``name`` is a persona file or directory rather than a catalogue name."""
    return "/" in name or name.endswith(".toml") or Path(name).exists()


def load(path: str | Path) -> Persona:
    """The persona a TOML file or a ``read --save`` directory describes (KeyError if none)."""
    p = Path(path)
    if p.is_dir() and (p / "EF.SOD").is_file():
        return _dump(p)
    toml = p / "persona.toml" if p.is_dir() else p
    if not toml.is_file():
        raise KeyError(f"{path}: neither a persona TOML file nor a 'checkedid read --save' "
                       "directory (EF.SOD, DGn.bin)")
    return _from_toml(toml)


# ----------------------------------------------------------------------------- TOML
def _from_toml(path: Path) -> Persona:
    from hw.vchip import personas

    try:
        data: dict[str, Any] = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KeyError(f"{path}: not a readable persona TOML file ({exc})") from None
    base = spec(str(data.pop("base", "utopia-id-pace-gm")))
    known = {f.name for f in fields(PersonaSpec)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise KeyError(f"{path}: unknown persona settings {unknown}; known: {sorted(known)}")
    if "pace" in data:
        data["pace"] = PaceConfig(**data["pace"]) if data["pace"] else None
    for key in ("aa", "ca", "fault"):
        if data.get(key) == "":
            data[key] = None
    if "photo" in data:
        data["photo"] = str((path.parent / str(data["photo"])).resolve())
    if "data_groups" in data:
        data["data_groups"] = tuple(int(n) for n in data["data_groups"])
    data.setdefault("name", path.stem)
    s = replace(base, **data)
    files, mf, aa_key, ca_key, extras = personas._build_files(s)
    return Persona(s, files, mf, aa_key, ca_key, extras)


# ----------------------------------------------------------------------------- dumps
@dataclass(frozen=True)
class DumpSpec(PersonaSpec):
    """A persona whose files come from a dump; its MRZ is the one in the dumped DG1."""

    dumped_mrz: str = ""

    @property
    def mrz(self) -> str:
        return self.dumped_mrz

    @property
    def mrz_information(self) -> str:
        """Document number, birth and expiry dates with check digits (Doc 9303-11 §9.7.2),
        taken from the dumped MRZ (TD1: line 1 and 2; TD2/TD3: line 2)."""
        lines = self.dumped_mrz.split("\n")
        if len(lines) == 3:  # TD1 (Doc 9303-5 §4.2.2)
            number, birth_expiry = lines[0][5:15], lines[1][0:7] + lines[1][8:15]
        else:  # TD2 / TD3 (Doc 9303-6/-4)
            number, birth_expiry = lines[1][0:10], lines[1][13:20] + lines[1][21:28]
        if number[9] == "<":  # a long TD1 number continues in the optional data
            return number[:9] + check_digit(number[:9]) + birth_expiry
        return number + birth_expiry


def _mrz_of(dg1: bytes) -> str:
    """The MRZ text in DG1 (tag 61 holding 5F1F, Doc 9303-10 §4.7.1), as lines."""
    try:
        outer = dict(tlv_list(dg1))
        inner = dict(tlv_list(outer[0x61]))
        text = inner[0x5F1F].decode("ascii")
    except (TlvError, KeyError, UnicodeDecodeError) as exc:
        raise KeyError(f"the dumped DG1 holds no readable MRZ ({type(exc).__name__})") from None
    width = {90: 30, 72: 36, 88: 44}.get(len(text))
    if width is None:
        raise KeyError(f"the dumped DG1 MRZ has {len(text)} characters: not TD1/TD2/TD3")
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


def _pace_of(card_access: bytes) -> PaceConfig | None:
    """The first PACEInfo of EF.CardAccess this chip can run (Doc 9303-11 §9.2.1)."""
    try:
        infos = tlv_list(dict(tlv_list(card_access))[0x31])
    except (TlvError, KeyError):
        return None
    for tag, body in infos:
        if tag != 0x30:
            continue
        try:
            items = tlv_list(body)
        except TlvError:
            continue
        if len(items) < 3 or items[0][0] != 0x06:
            continue
        oid = _oid(items[0][1])
        if not oid.startswith(_PACE_PREFIX):
            continue
        m, _, c = oid.removeprefix(_PACE_PREFIX).partition(".")
        if int(m) in _MAPPINGS and c.isdigit() and int(c) in _CIPHERS:
            return PaceConfig(_MAPPINGS[int(m)], _CIPHERS[int(c)],
                              int.from_bytes(items[2][1], "big"))
    return None


def _oid(body: bytes) -> str:
    arcs = [body[0] // 40, body[0] % 40] if body else []
    value = 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(map(str, arcs))


def _dump(directory: Path) -> Persona:
    files: dict[int, bytes] = {0x011D: (directory / "EF.SOD").read_bytes()}
    if (directory / "EF.COM").is_file():
        files[0x011E] = (directory / "EF.COM").read_bytes()
    for n in range(1, 17):
        f = directory / f"DG{n}.bin"
        if f.is_file():
            files[0x0100 | n] = f.read_bytes()
    if 0x0101 not in files:
        raise KeyError(f"{directory}: the dump has no DG1.bin (the chip needs its MRZ)")
    mrz = _mrz_of(files[0x0101])
    mf: dict[int, bytes] = {}
    pace = None
    if (directory / "EF.CardAccess").is_file():
        mf[0x011C] = (directory / "EF.CardAccess").read_bytes()
        pace = _pace_of(mf[0x011C])
    base = spec("utopia-passport-bac" if len(mrz.split("\n")) == 2 else "utopia-id-pace-gm")
    s = DumpSpec(**{f.name: getattr(base, f.name) for f in fields(PersonaSpec)})
    s = replace(s, name=f"dump-{directory.name}", dumped_mrz=mrz, pace=pace, can="",
                description="files of a real read served as they are, without the chip's "
                            "keys (a clone)",
                doc_type="TD1" if len(mrz.split("\n")) == 3 else "TD3",
                document_number=mrz.split("\n")[0][5:14] if len(mrz.split("\n")) == 3
                else mrz.split("\n")[1][0:9], aa=None, ca=None, fault=None,
                extended_length=True, max_read=65536)
    return Persona(s, files, mf, None, None, {})

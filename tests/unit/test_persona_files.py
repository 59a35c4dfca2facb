"""Personas from files: TOML descriptions and ``checkedid read --save`` dumps served as they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from hw.vchip import persona_files
from hw.vchip.personas import PaceConfig, build, spec


def test_a_toml_persona_changes_a_catalogue_persona(tmp_path: Path) -> None:
    f = tmp_path / "qa-cam.toml"
    f.write_text('base = "utopia-id-pace-gm"\ndescription = "PACE-CAM on P-256, no AA"\n'
                 'document_number = "Q12345678"\naa = ""\n'
                 '[pace]\nmapping = "ECDH-CAM"\ncipher = "AES-256"\nparameter_id = 12\n')
    p = build(str(f))
    assert p.name == "qa-cam" and p.spec.description == "PACE-CAM on P-256, no AA"
    assert p.pace == PaceConfig("ECDH-CAM", "AES-256", 12)
    assert p.aa_key is None and 0x010F not in p.files  # no DG15
    assert b"Q12345678" in p.files[0x0101]
    assert p.spec.mrz_information.startswith("Q12345678")
    # EF.CardAccess announces CAM with AES-256 (0.4.0.127.0.7.2.2.4.6.4) on parameter 12
    assert bytes.fromhex("04007f0007020204 0604".replace(" ", "")) in p.mf_files[0x011C]


def test_a_toml_persona_with_a_typo_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "typo.toml"
    f.write_text('base = "utopia-id-pace-gm"\ndocument_numbr = "Q1"\n')
    with pytest.raises(KeyError, match="unknown persona settings \\['document_numbr'\\]"):
        build(str(f))
    with pytest.raises(KeyError, match="neither a persona TOML file nor"):
        build(str(tmp_path / "missing.toml"))


def _dump(tmp_path: Path, name: str) -> Path:
    """The files a ``checkedid read --save`` of persona ``name`` writes."""
    p = build(name)
    out = tmp_path / name
    out.mkdir()
    (out / "EF.COM").write_bytes(p.files[0x011E])
    (out / "EF.SOD").write_bytes(p.files[0x011D])
    for fid, body in p.files.items():
        if 0x0101 <= fid <= 0x0110:
            (out / f"DG{fid & 0xFF}.bin").write_bytes(body)
    if 0x011C in p.mf_files:
        (out / "EF.CardAccess").write_bytes(p.mf_files[0x011C])
    return out


@pytest.mark.parametrize("name", ["utopia-id-pace-gm", "utopia-passport-bac",
                                  "utopia-id-pace-cam"])
def test_a_dump_is_served_byte_for_byte_without_keys(tmp_path: Path, name: str) -> None:
    original = build(name)
    dump = persona_files.load(_dump(tmp_path, name))
    assert {k: v for k, v in dump.files.items()} == original.files
    assert dump.mf_files.get(0x011C) == original.mf_files.get(0x011C)
    # the access data come from the dumped DG1, the PACE offer from the dumped EF.CardAccess
    assert dump.spec.mrz_information == spec(name).mrz_information
    assert dump.pace == original.pace
    assert dump.aa_key is None and dump.ca_key is None  # a dump is a clone: no keys


def test_a_dump_without_dg1_is_refused(tmp_path: Path) -> None:
    d = _dump(tmp_path, "utopia-id-pace-gm")
    (d / "DG1.bin").unlink()
    with pytest.raises(KeyError, match=r"no DG1\.bin"):
        persona_files.load(d)

import copy
import pickle

import numpy as np
import pytest

from checkedid.errors import SecretWipedError
from checkedid.secret import Secret, SecretRegistry, zero
from checkedid.session import Session


def test_secret_wipe_zeroes_the_same_buffer_in_place():
    s = Secret(b"L898902C<369080619406236")
    buf = s.buffer  # the live buffer, as a caller holding a reference would see it
    s.wipe()
    assert buf == bytearray(24)
    assert s.wiped
    with pytest.raises(SecretWipedError):
        len(s)
    s.wipe()  # idempotent


def test_secret_repr_never_shows_content():
    s = Secret(b"ERIKSSON", label="surname")
    assert "ERIKSSON" not in repr(s) and "ERIKSSON" not in str(s)
    assert repr(s) == "<Secret 8 bytes>"


def test_secret_refuses_pickle_and_copy():
    s = Secret(b"abc")
    with pytest.raises(TypeError):
        pickle.dumps(s)
    with pytest.raises(TypeError):
        copy.copy(s)
    with pytest.raises(TypeError):
        copy.deepcopy(s)


def test_secret_equality_is_by_content():
    assert Secret(b"abc") == b"abc"
    assert Secret(b"abc") != b"abd"
    assert Secret(b"abc") == Secret(bytearray(b"abc"))


def test_adopt_takes_the_buffer_without_copy():
    raw = bytearray(b"secret")
    s = Secret.adopt(raw)
    s.wipe()
    assert raw == bytearray(6)


def test_zero_handles_memoryview_and_numpy():
    raw = bytearray(b"abcdef")
    zero(memoryview(raw)[2:4])
    assert raw == bytearray(b"ab\0\0ef")
    arr = np.arange(12, dtype=np.uint8).reshape(3, 4)
    zero(arr)
    assert not arr.any()
    with pytest.raises(TypeError):
        zero(b"immutable")


def test_registry_wipes_everything_it_tracks():
    reg = SecretRegistry()
    s = reg.new(b"key")
    ba = reg.add(bytearray(b"dg1"))
    arr = reg.add(np.full((4, 4), 7, dtype=np.uint8))

    class Custom:
        wiped = False

        def wipe(self):
            self.wiped = True

    c = reg.add(Custom())
    reg.add(c)  # registering twice is harmless
    assert len(reg) == 4
    assert reg.wipe_all() == 4
    assert s.wiped and ba == bytearray(3) and not arr.any() and c.wiped
    assert len(reg) == 0


def test_session_context_wipes_on_error():
    with pytest.raises(RuntimeError):
        with Session(isolation="none") as session:
            s = session.secret(b"seed")
            raise RuntimeError("boom")
    assert s.wiped

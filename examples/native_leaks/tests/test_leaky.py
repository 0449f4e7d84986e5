"""Tests of the leaky extension: two of them leak, one does not.

Build pyleak-ci with CMake (it builds the extension too), then:

    PYTHONPATH=build/examples/native_leaks ./build/pyleak-ci run examples/native_leaks
"""
import unittest

try:
    import leaky
except ImportError as exc:
    raise unittest.SkipTest(
        "the leaky extension is not importable (%s); build pyleak-ci with "
        "CMake and put build/examples/native_leaks on PYTHONPATH" % exc)

PAYLOAD = b"pyleak-ci" * 32


def test_wrap():
    assert leaky.wrap(42) == [42]


def test_checksum():
    assert leaky.checksum(PAYLOAD) == sum(PAYLOAD)


def test_checksum_fixed():
    assert leaky.checksum_fixed(PAYLOAD) == sum(PAYLOAD)

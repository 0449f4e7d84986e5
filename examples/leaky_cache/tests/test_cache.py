import unittest

from cache import lookup, normalise, remember


def test_remember_new_keys():
    remember("payload")


def test_lookup_bounded():
    for n in range(64):
        lookup(n)


def test_normalise():
    assert normalise("  Hello   World ") == "hello world"


class NormaliseCase(unittest.TestCase):
    def setUp(self):
        self.samples = ["A  b", " c d "]

    def test_samples(self):
        self.assertEqual([normalise(s) for s in self.samples],
                         ["a b", "c d"])

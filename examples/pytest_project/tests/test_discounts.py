import unittest

import pytest


@pytest.fixture(scope="class")
def rates():
    return {"student": 0.5, "member": 0.9}


class TestDiscounts:
    @pytest.mark.parametrize("who,expected", [("student", 6.0),
                                              ("member", 10.8)])
    def test_rate(self, cart, rates, who, expected):
        cart.add("pear", 3)
        assert cart.total(lambda t: t * rates[who]) == pytest.approx(expected)

    def test_no_discount(self, cart):
        cart.add("apple", 2)
        assert cart.total() == 6

    def test_output(self, cart, capsys):
        print("total", cart.total())
        assert capsys.readouterr().out == "total 0\n"


class CouponCase(unittest.TestCase):
    """unittest classes in a pytest suite keep their own setUp."""

    @classmethod
    def setUpClass(cls):
        cls.codes = {"HALF": 0.5}

    def setUp(self):
        self.total = 20

    def test_half(self):
        self.assertEqual(self.total * self.codes["HALF"], 10)

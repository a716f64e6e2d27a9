"""SIREN and postcode validation (pure)."""

import pytest

from marketplace.accounts.siren import luhn_ok, normalise_siren, postcode_ok, siren_problem


@pytest.mark.parametrize("siren", ["732829320", "552100554", "100000009"])
def test_valid_sirens(siren):
    assert siren_problem(siren) is None


@pytest.mark.parametrize(
    ("siren", "problem"),
    [
        ("732829321", "checksum"),
        ("552100555", "checksum"),
        ("73282932", "length"),
        ("7328293200", "length"),
        ("", "length"),
        ("73282932A", "digits"),
        ("ABCDEFGHI", "digits"),
        ("７３２８２９３２０", "digits"),  # full-width digits are not ASCII digits
    ],
)
def test_invalid_sirens(siren, problem):
    assert siren_problem(siren) == problem


def test_luhn_doubles_every_second_digit_from_the_right():
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")


def test_spaces_are_removed_before_checking():
    assert normalise_siren("732 829 320") == "732829320"
    assert normalise_siren("732\u00a0829.320") == "732829320"


@pytest.mark.parametrize("postcode", ["54200", "01000", "97400", "57100"])
def test_valid_postcodes(postcode):
    assert postcode_ok(postcode)


@pytest.mark.parametrize("postcode", ["5420", "542000", "00100", "99000", "54 20", "ABCDE", ""])
def test_invalid_postcodes(postcode):
    assert not postcode_ok(postcode)

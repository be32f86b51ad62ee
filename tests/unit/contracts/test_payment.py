"""Payment details and company numbers (contracts.payment): what is accepted, what is refused."""

import pytest

from contracts import payment

VALID_IBAN = "GB82 WEST 1234 5698 7654 32"


@pytest.mark.parametrize(
    ("check", "value", "ok"),
    [
        # IBAN: the country's format and the mod 97-10 check digits (stdnum.iban); spaces allowed
        (payment.iban_problem, VALID_IBAN, True),
        (payment.iban_problem, "GB82WEST12345698765432", True),
        (payment.iban_problem, "DE89 3704 0044 0532 0130 00", True),
        (payment.iban_problem, "", True),
        (payment.iban_problem, "GB82WEST12345698765433", False),  # check digits
        (payment.iban_problem, "GB82WEST1234569876543", False),  # one digit short for GB
        (payment.iban_problem, "XX82WEST12345698765432", False),  # no such country
        (payment.iban_problem, "GB" + "1" * 40, False),  # longer than any IBAN
        (payment.iban_problem, "GB82-WEST-1234-5698-7654-3\u202e2", False),
        # BIC: 8 or 11 characters: bank, country letters, location, branch (stdnum.bic)
        (payment.bic_problem, "NWBKGB2L", True),
        (payment.bic_problem, "DEUTDEFF500", True),
        (payment.bic_problem, "NWBKGB2", False),
        (payment.bic_problem, "NWBK12GB", False),  # the country is two letters
        (payment.bic_problem, "NWBKGB2L1234567", False),
        # UK sort code: 6 digits, hyphens allowed
        (payment.sort_code_problem, "12-34-56", True),
        (payment.sort_code_problem, "123456", True),
        (payment.sort_code_problem, "12345", False),
        (payment.sort_code_problem, "12-34-5A", False),
        (payment.sort_code_problem, "١٢٣٤٥٦", False),  # digits, but not ASCII ones
        # UK account number: 8 digits
        (payment.account_number_problem, "55555555", True),
        (payment.account_number_problem, "5555555", False),
        (payment.account_number_problem, "555555555", False),
        (payment.account_number_problem, "5555555x", False),
    ],
)
def test_a_payment_detail_is_checked(check, value, ok):
    assert (check(value) is None) is ok


@pytest.mark.parametrize(
    ("country", "number", "ok"),
    [
        # UK (Companies House): 8 letters or digits
        ("GB", "01234567", True),
        ("GB", "SC123456", True),
        ("GB", "sc123456", True),  # kept upper case
        ("GB", "1234567", False),
        ("GB", "SC-12345", False),
        ("GB", "012345678", False),
        # elsewhere: 1-20 letters, digits, ".", "-" or "/"
        ("DE", "HRB 12345", True),
        ("FR", "552-100-554", True),
        ("FR", "-552", False),
        ("FR", "1" * 21, False),
        ("FR", "55<script>", False),
        ("GB", "", True),
    ],
)
def test_a_registration_number_is_checked_for_its_country(country, number, ok):
    assert (payment.registration_number_problem(country, number) is None) is ok


def test_details_that_go_together_are_refused_alone():
    empty = {
        "country": "GB",
        "iban": "",
        "bic": "",
        "sort_code": "",
        "account_number": "",
        "registration_number": "",
    }
    assert payment.payment_details_problems(**empty) == {}
    assert set(payment.payment_details_problems(**{**empty, "sort_code": "123456"})) == {"account_number"}
    assert set(payment.payment_details_problems(**{**empty, "account_number": "55555555"})) == {"sort_code"}
    assert set(payment.payment_details_problems(**{**empty, "bic": "NWBKGB2L"})) == {"iban"}
    both = {
        **empty,
        "iban": VALID_IBAN,
        "bic": "NWBKGB2L",
        "sort_code": "12-34-56",
        "account_number": "55555555",
    }
    assert payment.payment_details_problems(**both) == {}


@pytest.mark.parametrize(
    ("reference", "ok"),
    [
        ("PO-ACME-2026-0042", True),
        ("4500012345", True),
        ("x" * 40, True),
        ("", True),
        ("x" * 41, False),
        ("PO\n42", False),
        ("PO\x0042", False),
        ("PO\u202e24", False),
    ],
)
def test_a_buyer_reference_is_one_line_of_at_most_40_characters(reference, ok):
    assert (payment.buyer_reference_problem(reference) is None) is ok


def test_the_kept_form_is_compact():
    assert payment.compact(" gb82 west-1234 ") == "GB82WEST1234"
    assert payment.registration_number_compact(" sc 123456 ") == "SC123456"

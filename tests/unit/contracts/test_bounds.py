"""The bounds of every number and text in a contract file, and that the columns can hold them."""

from decimal import Decimal

import pytest

from billing.models import AMOUNT
from contracts import checks
from contracts.checks import Checker, NumberLiteral
from contracts.models import Component, Contract, Organisation, TermsVersion
from contracts.schema import ContractFileError, validate_contract
from contracts.yamlio import parse_document
from pricing.money import MAX_AMOUNT
from tests.unit.contracts.test_schema import CATALOGUE_INFO, GOOD

C = "terms[0].components"


def errors_of(text: str) -> list[str]:
    try:
        validate_contract(
            parse_document(text, file_name="acme.yaml"), file_name="acme.yaml", catalogue=CATALOGUE_INFO
        )
    except ContractFileError as error:
        return error.lines()
    return []


# Each key at its edge is accepted; one step beyond it is refused with the key path.
@pytest.mark.parametrize(
    ("replace", "edge", "beyond", "expected"),
    [
        # money amounts: 0 to 10^9, 4 decimals
        ('amount: "15000.00"', 'amount: "1000000000"', 'amount: "1000000000.0001"',
         f"{C}[0].amount: must be at most 1000000000, got 1000000000.0001"),
        ('amount: "15000.00"', 'amount: "0.0001"', 'amount: "0.00001"',
         f"{C}[0].amount: has 5 decimal places; at most 4 are allowed, got 0.00001"),
        ('minimum_charge: "20000.00"', 'minimum_charge: "0"', 'minimum_charge: "-0.01"',
         f"{C}[1].minimum_charge: must be at least 0, got -0.01"),
        ('cap: "100000.00"', 'cap: "1000000000.0000"', 'cap: "1000000001"',
         f"{C}[2].cap: must be at most 1000000000, got 1000000001"),
        # unit prices: 0 to 10^6, 6 decimals
        ('price: "3.00"', 'price: "1000000"', 'price: "1000000.000001"',
         f"{C}[1].bands[0].price: must be at most 1000000, got 1000000.000001"),
        ('price: "3.00"', 'price: "0.000001"', 'price: "0.0000001"',
         f"{C}[1].bands[0].price: has 7 decimal places; at most 6 are allowed"),
        ('baseline_unit_cost: "4.00"', 'baseline_unit_cost: "999999.999999"', 'baseline_unit_cost: "1000001"',
         f"{C}[2].baseline_unit_cost: must be at most 1000000, got 1000001"),
        ('fee: "25.00"', 'fee: "1000000"', 'fee: "1000000.5"', f"{C}[4].fee: must be at most 1000000, got 1000000.5"),
        # band limits: above 0 up to 10^12, 4 decimals
        ("{up_to: 10000, price", "{up_to: 0.0001, price", "{up_to: 0, price",
         f"{C}[1].bands[0].up_to: must be above 0, got 0"),
        ("{up_to: 25000, price", "{up_to: 1000000000000, price", "{up_to: 1000000000001, price",
         f"{C}[1].bands[1].up_to: must be at most 1000000000000, got 1000000000001"),
        # counts: outcome threshold 0 to 10^12
        ("threshold: 200,", "threshold: 1000000000000,", "threshold: 1000000000000.00001,",
         f"{C}[4].threshold: has 5 decimal places"),
        # percentages: 0 to 100, 4 decimals; tax rate 2 decimals
        ('supplier_percent: "50"', 'supplier_percent: "100"', 'supplier_percent: "100.0001"',
         f"{C}[2].supplier_percent: must be at most 100, got 100.0001"),
        ('pool_percent: "3"', 'pool_percent: "3.1234"', 'pool_percent: "3.12345"',
         f"{C}[5].pool_percent: has 5 decimal places; at most 4 are allowed"),
        ('tax_rate: "20"', 'tax_rate: "17.50"', 'tax_rate: "17.505"',
         "tax_rate: has 3 decimal places; at most 2 are allowed, got 17.505"),
        # scorecards: weights 0 to 10^6, anchors ±10^9, payouts 0 to 10
        ("weight: 40,", "weight: 1000000,", "weight: 1000000.00001,", f"{C}[5].kpis[0].weight: has 5 decimal places"),
        ('threshold: "20", target: "30", stretch: "40"', 'threshold: "-1000000000", target: "30", stretch: "40"',
         'threshold: "-1000000001", target: "30", stretch: "40"',
         f"{C}[5].kpis[2].threshold: must be at least -1000000000, got -1000000001"),
        ('stretch: "90"}', 'stretch: "90", stretch_payout: "10"}', 'stretch: "90", stretch_payout: "10.0001"}',
         f"{C}[5].kpis[0].stretch_payout: must be at most 10, got 10.0001"),
        # whole numbers
        ("earn_back_months: 3", "earn_back_months: 24", "earn_back_months: 25",
         f"{C}[6].earn_back_months: must be at most 24, got 25"),
        ("payment_terms_days: 30", "payment_terms_days: 365", "payment_terms_days: 366",
         "payment_terms_days: must be at most 365, got 366"),
        # texts: the columns' lengths
        ("reference: ACME-NW-001", "reference: " + "R" * 50, "reference: " + "R" * 51,
         "reference: is 51 characters long; at most 50 are allowed"),
        ("title: Acme Telecom customer care", "title: " + "T" * 200, "title: " + "T" * 201,
         "title: is 201 characters long; at most 200 are allowed"),
        ("name: Northwind CX Ltd", "name: N" + "x" * 199, "name: N" + "x" * 200,
         "supplier.name: is 201 characters long; at most 200 are allowed"),
        ("vat_number: GB123456782", "vat_number: GB" + "9" * 38, "vat_number: GB" + "9" * 39,
         "buyer.vat_number: is 41 characters long; at most 40 are allowed"),
        ("country: GB}", "country: GB, address: " + "a" * 500 + "}", "country: GB, address: " + "a" * 501 + "}",
         "supplier.address: is 501 characters long; at most 500 are allowed"),
        ("country: GB}", "country: GB, email: " + "e" * 64 + "@" + "d" * 63 + ".example}",
         "country: GB, email: e@@d.example}", "supplier.email: not a valid e-mail address: 'e@@d.example'"),
        ("{id: mgmt,", "{id: " + "m" * 50 + ",", "{id: " + "m" * 51 + ",",
         f"{C}[0].id: expected an id of 1–50 letters, digits, - or _"),
    ],
)  # fmt: skip
def test_each_bound_accepts_its_edge_and_refuses_one_step_beyond(replace, edge, beyond, expected):
    assert replace in GOOD
    assert errors_of(GOOD.replace(replace, edge, 1)) == []
    messages = errors_of(GOOD.replace(replace, beyond, 1))
    assert any(message.startswith(f"acme.yaml: {expected}") for message in messages), messages


# How a number is written: only plain decimals are numbers.
@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('"1E+400"', "exponent notation is not accepted, got 1E+400"),
        ('"1e3"', "exponent notation is not accepted, got 1e3"),
        ("1.5e+3", "exponent notation is not accepted, got 1.5e+3"),
        ('"NaN"', "not a finite number: NaN"),
        ("-.inf", "not a finite number: -.inf"),
        ('"Infinity"', "not a finite number: Infinity"),
        ("true", "expected a number, got true/false"),
        ("0x1F", "not a number: '0x1F'"),
        ("0o17", "not a number: '0o17'"),
        ("017", "not a number: '017' (a leading zero is octal in YAML"),  # YAML 1.1 reads 017 as octal 15
        ("1_000", "not a number: '1_000'"),
        ("1:30", "not a number: '1:30'"),
        ('"15,000.00"', "not a number: '15,000.00'"),
        ('"١٢"', "not a number: '١٢'"),  # Arabic-Indic digits are digits to Decimal(), not here
        ("9" * 41, "has more than 40 characters; not a number this file can hold"),
        ('"' + "9" * 5000 + '"', "has more than 40 characters; not a number this file can hold"),
    ],
)
def test_only_plain_decimals_are_numbers(written, expected):
    messages = errors_of(GOOD.replace('amount: "15000.00"', f"amount: {written}", 1))
    assert len(messages) == 1 and messages[0].startswith(f"acme.yaml: {C}[0].amount: {expected}"), messages


@pytest.mark.parametrize(
    ("text", "multiline", "expected"),
    [
        ("Acme\x00", False, "contains control character (U+0000)"),
        ("Acme\tplc", False, "contains control character (U+0009)"),
        ("Acme\nplc", False, "contains control character (U+000A)"),
        ("Acme\x85plc", True, "contains control character (U+0085)"),
        ("Acme\u2028plc", True, "contains line separator (U+2028)"),
        ("Acme\u2066plc", False, "contains left-to-right isolate (U+2066)"),
        ("Acme\ud800", False, "contains control character (U+D800)"),
    ],
)
def test_control_characters_are_refused_in_text(text, multiline, expected):
    checker = Checker()
    assert checker.text(text, "buyer.name", checks.Length(200, multiline=multiline)) is None
    assert str(checker.errors[0]).startswith(f"buyer.name: {expected}")


def test_an_address_may_span_lines():
    assert Checker().text("1 High Street\nLondon", "a", checks.ADDRESS) == "1 High Street\nLondon"


def test_a_number_literal_is_never_text():
    checker = Checker()
    assert checker.text(NumberLiteral("0x10"), "reference", checks.REFERENCE) is None
    assert str(checker.errors[0]) == "reference: expected non-empty text, got 0x10"


def test_a_huge_integer_is_refused_without_being_printed():
    checker = Checker()
    assert checker.decimal(10**100_000, "cap", checks.MONEY) is None
    assert checker.integer(10**100_000, "days", maximum=365) is None
    assert [e.message for e in checker.errors] == [
        "has more than 40 characters; not a number this file can hold",
        "must be at most 365, got a number of about 100000 digits",
    ]


def test_problems_beyond_the_first_hundred_are_counted():
    text = GOOD + "".join(f"extra{n}: 1\n" for n in range(250))
    messages = errors_of(text)
    assert len(messages) == checks.MAX_REPORTED + 1
    assert messages[-1] == "acme.yaml: … and 150 more problems"


# The text bounds are the model columns' lengths, field by field.
@pytest.mark.parametrize(
    ("model", "field", "length"),
    [
        (Contract, "reference", checks.REFERENCE.maximum),
        (Contract, "title", checks.TITLE.maximum),
        (Organisation, "name", checks.NAME.maximum),
        (Organisation, "vat_number", checks.VAT_NUMBER.maximum),
        (Organisation, "email", checks.EMAIL.maximum),
        (Component, "component_id", 50),
        (TermsVersion, "effective_from", 7),
    ],
)
def test_text_bounds_match_the_columns(model, field, length):
    assert model._meta.get_field(field).max_length == length


def test_organisation_codes_fit_their_column():
    assert Organisation._meta.get_field("code").max_length >= 10


def test_number_bounds_fit_the_columns_and_the_pricing_core():
    tax_rate = Contract._meta.get_field("tax_rate")
    assert checks.TAX_PERCENT.decimals == tax_rate.decimal_places
    assert len(str(int(checks.TAX_PERCENT.maximum))) <= tax_rate.max_digits - tax_rate.decimal_places
    # A statement holds 20 digits with 4 decimals: the core's largest amount and net + tax fit.
    integer_digits = AMOUNT["max_digits"] - AMOUNT["decimal_places"]
    assert Decimal(10) ** integer_digits >= 2 * MAX_AMOUNT
    assert checks.MONEY.maximum < MAX_AMOUNT and checks.MONEY.decimals <= AMOUNT["decimal_places"]
    # Every bound's largest value, with all its decimals, fits the 28 digits of the decimal context.
    for bound in (checks.MONEY, checks.PRICE, checks.QUANTITY, checks.BAND_LIMIT, checks.KPI_VALUE):
        assert len(str(int(bound.maximum))) + bound.decimals <= 28


def test_a_vat_number_of_digits_written_without_quotes_is_kept_as_written():
    spec = validate_contract(
        parse_document(GOOD.replace("vat_number: GB123456782", "vat_number: 0123456789"), file_name="a.yaml"),
        file_name="a.yaml",
        catalogue=CATALOGUE_INFO,
    )
    assert spec.buyer.vat_number == "0123456789"


def test_a_yaml_document_is_refused_at_the_value_that_passes_the_limit_not_at_its_end():
    from contracts.yamlio import MAX_NODES, DocumentError

    text = "x: [" + "1," * 200_000 + "1]"  # 400 KB, 200,001 values
    with pytest.raises(DocumentError) as caught:
        parse_document(text, file_name="big.yaml")
    # The mapping, x and the list are 3 values; item k (from 0, at column 5 + 2k) is value 4 + k,
    # so item 19,997 is the 20,001st.
    assert str(caught.value) == (
        f"line 1, column {5 + 2 * 19_997}: invalid YAML: expands to more than {MAX_NODES} values "
        "(through aliases or size)"
    )

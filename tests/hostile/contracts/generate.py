"""Writes the hostile contract files next to this script: ``python tests/hostile/contracts/generate.py``.

Each file is the design example with one hostile change (or a file that is not a contract at
all). tests/integration/contracts/test_hostile_files.py holds the message each must give.
The files are committed; run this again only to change them.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

BASE = """\
reference: ACME-NW-001
title: Hostile change
buyer: {name: Acme Telecom plc, country: GB, vat_number: GB123456782}
supplier: {name: Northwind CX Ltd, country: GB, email: billing@northwind.example}
currency: GBP
tax_rate: "20"
start: 2026-01-01
payment_terms_days: 30
terms:
  - effective_from: 2026-01
    components:
      - {id: mgmt, type: fixed_fee, amount: "15000.00"}
      - id: voice
        type: unit_rate
        measure: contacts_voice
        bands: [{up_to: 10000, price: "3.00"}, {up_to: null, price: "2.00"}]
      - {id: saves, type: outcome_fee, measure: customers_retained, fee: "25.00", cap: "50000.00"}
      - id: experience
        type: experience_bonus
        pool_percent: "3"
        kpis:
          - {kpi: csat, weight: 40, threshold: "80", target: "85", stretch: "90"}
          - {kpi: fcr, weight: 60, threshold: "70", target: "75", stretch: "80"}
      - id: sla
        type: service_credit
        at_risk_percent: "12"
        earn_back_months: 3
        kpis:
          - {kpi: service_level, target: "80", credit_percent: "5"}
"""


def changed(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def as_json(text: str) -> str:
    document = yaml.safe_load(text)
    return json.dumps(document, indent=1, default=str)


def json_changed(old: str, new: str) -> str:
    text = as_json(BASE)
    assert old in text, old
    return text.replace(old, new, 1)


def laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    return BASE + "\n".join(lines) + "\n"


def self_billed(agreement: str, *, self_billing: bool = True) -> str:
    """The base file self-billed (or not) with the given ``self_billing_agreement`` value."""
    flag = "true" if self_billing else "false"
    return changed(
        "payment_terms_days: 30\n",
        f"payment_terms_days: 30\nself_billing: {flag}\nself_billing_agreement: {agreement}\n",
    )


def json_with(key: str, value: str) -> str:
    """The base file as JSON with one more top-level key, its value as JSON text."""
    return as_json(BASE)[:-2] + f',\n "self_billing": true,\n "{key}": {value}\n}}'


def with_kpi_sources(value: str) -> str:
    return changed("payment_terms_days: 30\n", f"payment_terms_days: 30\nkpi_sources: {value}\n")


AGREEMENT = "{start: 2026-01-01, end: 2026-12-31, supplier_vat: %s}"

FILES: dict[str, str | bytes] = {
    # numbers: exponent notation, non-finite values, booleans, digit counts, decimals, ranges
    "amount-exponent-text.yaml": changed('amount: "15000.00"', 'amount: "1E+400"'),
    "amount-exponent-float.yaml": changed('amount: "15000.00"', "amount: 1.0e+400"),
    "amount-exponent.json": json_changed('"amount": "15000.00"', '"amount": 1e400'),
    "amount-5000-digits.yaml": changed('amount: "15000.00"', "amount: " + "9" * 5000),
    "payment-terms-100000-digits.json": json_changed(
        '"payment_terms_days": 30', '"payment_terms_days": ' + "7" * 100_000
    ),
    "tax-rate-nan.json": json_changed('"tax_rate": "20"', '"tax_rate": NaN'),
    "price-infinity.yaml": changed('price: "2.00"', "price: .inf"),
    "weight-boolean.yaml": changed("weight: 40", "weight: true"),
    "tax-rate-three-decimals.yaml": changed('tax_rate: "20"', 'tax_rate: "20.125"'),
    "cap-above-maximum.yaml": changed('cap: "50000.00"', 'cap: "1000000000.01"'),
    "fee-hexadecimal.yaml": changed('fee: "25.00"', "fee: 0x1F"),
    "earn-back-months-1000.yaml": changed("earn_back_months: 3", "earn_back_months: 1000"),
    # texts: column lengths, addresses, control characters
    "vat-number-41-characters.yaml": changed("vat_number: GB123456782", "vat_number: GB" + "1" * 39),
    "email-255-characters.yaml": changed(
        "email: billing@northwind.example", "email: " + "b" * 64 + "@" + ".".join(["n" * 60] * 3) + ".example"
    ),
    "email-not-an-address.yaml": changed("email: billing@northwind.example", "email: billing at northwind"),
    "reference-51-characters.yaml": changed("reference: ACME-NW-001", "reference: " + "R" * 51),
    "name-with-nul.json": json_changed('"name": "Acme Telecom plc"', '"name": "Acme Telecom\\u0000 plc"'),
    "name-with-bidi-override.yaml": changed("name: Northwind CX Ltd", 'name: "Northwind \\u202eCX Ltd"'),
    "title-with-escape.yaml": changed("title: Hostile change", 'title: "Hostile \\e[31mchange"'),
    "component-id-51-characters.yaml": changed("{id: mgmt,", "{id: " + "m" * 51 + ","),
    "kpi-code-megabyte.yaml": changed("kpi: csat,", "kpi: " + "x" * 20_000 + ","),
    # parsers: nesting, aliases, keys, shapes, encodings
    "nested-5000-deep.yaml": BASE + "extra: " + "[" * 5000 + "]" * 5000 + "\n",
    "nested-5000-deep.json": '{"terms": ' + "[" * 5000 + "]" * 5000 + "}",
    "billion-laughs.yaml": laughs(),
    "alias-to-itself.yaml": BASE + "loop: &loop [*loop]\n",
    "int-tag-on-text.yaml": changed("payment_terms_days: 30", "payment_terms_days: !!int thirty"),
    "thousand-unknown-keys.yaml": BASE + "".join(f"key{n}: {n}\n" for n in range(1000)),
    "duplicate-key.yaml": BASE + "tax_rate: '0'\n",
    "duplicate-key.json": as_json(BASE)[:-2] + ',\n "tax_rate": "0"\n}',
    "list-key.yaml": BASE + "? [a, b]\n: c\n",
    "top-level-list.yaml": "- " + BASE.replace("\n", "\n  "),
    "top-level-number.json": "12345",
    "latin-1.yaml": changed("name: Northwind CX Ltd", "name: Northwind CX Sàrl").encode("latin-1"),
    "binary.yaml": bytes(range(128)) * 8,
    "invalid-date.yaml": changed("start: 2026-01-01", "start: 2026-02-30"),
    # the self-billing agreement: its VAT number, its shape, its dates, its contract
    "agreement-vat-41-characters.yaml": self_billed(AGREEMENT % ("GB" + "1" * 39)),
    "agreement-vat-with-nul.json": json_with(
        "self_billing_agreement",
        '{"start": "2026-01-01", "end": "2026-12-31", "supplier_vat": "GB12\\u00003456782"}',
    ),
    "agreement-vat-with-tab.yaml": self_billed(AGREEMENT % '"GB123\\t456782"'),
    "agreement-vat-list.yaml": self_billed(AGREEMENT % "[GB123456782]"),
    "agreement-vat-decimal.yaml": self_billed(AGREEMENT % "1234.5"),
    "agreement-vat-boolean.yaml": self_billed(AGREEMENT % "yes"),
    "agreement-vat-fails-its-check.yaml": self_billed(AGREEMENT % "GB999999999"),
    "agreement-a-list.yaml": self_billed("[2026-01-01, 2026-12-31]"),
    "agreement-a-number.json": json_with("self_billing_agreement", "20260101"),
    "agreement-month-13.yaml": self_billed("{start: 2026-01-01, end: 2026-13-01}"),
    "agreement-date-time.yaml": self_billed("{start: 2026-01-01T09:00:00, end: 2026-12-31}"),
    "agreement-date-as-number.yaml": self_billed("{start: 20260101, end: 2026-12-31}"),
    "agreement-ends-before-it-starts.yaml": self_billed("{start: 2026-01-01, end: 2025-12-31}"),
    "agreement-without-end.yaml": self_billed("{start: 2026-01-01}"),
    "agreement-unknown-key.yaml": self_billed("{start: 2026-01-01, end: 2026-12-31, signed_by: Jo}"),
    "agreement-not-self-billed.yaml": self_billed("{start: 2026-01-01, end: 2026-12-31}", self_billing=False),
    # kpi_sources: KPI code to the party whose figures count
    "kpi-sources-unknown-kpi.yaml": with_kpi_sources("{csat: buyer, first_call: supplier}"),
    "kpi-sources-not-a-party.yaml": with_kpi_sources("{csat: procurement}"),
    "kpi-sources-null-party.yaml": with_kpi_sources("{csat: null}"),
    "kpi-sources-a-list.yaml": with_kpi_sources("[csat, buyer]"),
    "kpi-sources-a-number.json": json_with("kpi_sources", "7"),
    "kpi-sources-number-key.yaml": with_kpi_sources("{404: buyer}"),
    "kpi-sources-nul-in-key.json": json_with("kpi_sources", '{"cs\\u0000at": "buyer"}'),
    "kpi-sources-5000-entries.yaml": with_kpi_sources(
        "{" + ", ".join(f"kpi{n}: buyer" for n in range(5000)) + "}"
    ),
    "too-many-bands.yaml": changed(
        'bands: [{up_to: 10000, price: "3.00"}, {up_to: null, price: "2.00"}]',
        "bands: ["
        + ", ".join(f'{{up_to: {n}, price: "1"}}' for n in range(1, 61))
        + ', {up_to: null, price: "1"}]',
    ),
}


def main() -> None:
    for name, content in FILES.items():
        data = content if isinstance(content, bytes) else content.encode()
        (HERE / name).write_bytes(data)
    print(f"wrote {len(FILES)} files to {HERE}")


if __name__ == "__main__":
    main()

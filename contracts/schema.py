"""The contract file: validation of a whole document into a ``ContractSpec``.

Every problem in a file is collected with the key path it belongs to, so one run shows all
of them; a file with any problem is refused whole (``ContractFileError``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import moneyed

from . import payment
from .checks import (
    ADDRESS,
    MAX_REPORTED,
    NAME,
    REFERENCE,
    TAX_PERCENT,
    TITLE,
    VAT_NUMBER,
    Checker,
    FieldError,
    NumberLiteral,
    is_text,
    key_path,
    shown,
)
from .components import COMPONENT_TYPES, ComponentValidator, KpiCatalogue
from .consistency import kpi_checks_validate
from .indexation import indexation_validate
from .yamlio import DocumentError, parse_document

# The largest contract file read (1 MiB): an honest one is a few kilobytes. Checked before
# the file is read, on the command line as in the admin's upload form.
MAX_FILE_BYTES = 1024 * 1024
PERIOD_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
ID_RE = re.compile(r"[A-Za-z0-9_-]{1,50}")  # Component.component_id is a 50-character slug
CODE_RE = re.compile(r"[A-Z0-9]{1,10}")
MAX_VERSIONS = 120  # ten years of monthly versions
MAX_COMPONENTS = 50
PAYMENT_TERMS_DAYS = (0, 365)
TOP_REQUIRED = ("reference", "title", "buyer", "supplier", "currency", "tax_rate", "start", "terms")
TOP_OPTIONAL = (
    "rounding",
    "end",
    "payment_terms_days",
    "self_billing",
    "self_billing_agreement",
    "kpi_sources",
    "kpi_checks",
    "buyer_reference",
)
KPI_SOURCES = ("buyer", "supplier")
AGREEMENT_REQUIRED = ("start", "end")
AGREEMENT_OPTIONAL = ("supplier_vat",)
PARTY_REQUIRED = ("name", "country")
PAYMENT_KEYS = ("iban", "bic", "sort_code", "account_number", "registration_number")
PARTY_OPTIONAL = ("code", "vat_number", "address", "email", *PAYMENT_KEYS, "remittance_email")


class ContractFileError(Exception):
    """A contract file that cannot be imported, with every problem found in it."""

    def __init__(self, file_name: str, errors: list[FieldError]):
        self.file_name = file_name
        self.errors = errors
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem, the first ``MAX_REPORTED``, then how many more there were."""
        lines = [f"{self.file_name}: {error}" for error in self.errors[:MAX_REPORTED]]
        if len(self.errors) > MAX_REPORTED:
            lines.append(f"{self.file_name}: … and {len(self.errors) - MAX_REPORTED} more problems")
        return lines


@dataclass(frozen=True)
class PartySpec:
    name: str
    country: str
    code: str
    vat_number: str = ""
    address: str = ""
    email: str = ""
    # Payment details and company number (contracts.payment), compact; "" when not given.
    iban: str = ""
    bic: str = ""
    sort_code: str = ""
    account_number: str = ""
    registration_number: str = ""
    remittance_email: str = ""


@dataclass(frozen=True)
class ComponentSpec:
    id: str
    type: str
    params: dict


@dataclass(frozen=True)
class VersionSpec:
    effective_from: str
    components: tuple[ComponentSpec, ...]
    indexation: dict | None = None  # canonical (contracts.indexation), None: not indexed


@dataclass(frozen=True)
class AgreementSpec:
    """The self-billing agreement with the supplier: the days it covers, and the supplier's
    VAT number as agreed (absent in the file: the supplier's ``vat_number`` in the file)."""

    start_date: date
    end_date: date
    supplier_vat: str


@dataclass(frozen=True)
class ContractSpec:
    reference: str
    title: str
    buyer: PartySpec
    supplier: PartySpec
    currency: str
    tax_rate: Decimal
    rounding: str
    start_date: date
    end_date: date | None
    payment_terms_days: int
    self_billing: bool
    versions: tuple[VersionSpec, ...]
    agreement: AgreementSpec | None = None
    kpi_sources: dict[str, str] = field(default_factory=dict)
    kpi_checks: list[dict] = field(default_factory=list)  # canonical, see contracts.consistency
    buyer_reference: str = ""  # the buyer's PO number or reference (contracts.payment)


def party_code(name: str) -> str:
    """A default document-number code: the upper-case letters and digits of the first word."""
    first = re.sub(r"[^A-Za-z0-9]", "", name.split()[0]) if name.split() else ""
    return first.upper()[:10] or "ORG"


def contract_file_validate(*, file_name: str, content: bytes, catalogue: KpiCatalogue) -> ContractSpec:
    """A contract file's bytes, read and validated without touching the database.

    Refused, in this order and each with a ``ContractFileError`` naming ``file_name``: more
    than ``MAX_FILE_BYTES``; bytes that are not UTF-8 (a BOM is allowed); a document the
    bounded YAML/JSON readers refuse (:func:`contracts.yamlio.parse_document`); any problem
    :func:`validate_contract` finds. Nothing else is raised, whatever the bytes.
    """
    if len(content) > MAX_FILE_BYTES:
        raise ContractFileError(
            file_name, [FieldError("", f"the file is larger than {MAX_FILE_BYTES:,} bytes")]
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContractFileError(
            file_name, [FieldError("", f"the file is not UTF-8 text (byte {error.start + 1})")]
        ) from None
    try:
        document = parse_document(text, file_name=file_name)
    except DocumentError as error:
        raise ContractFileError(file_name, [FieldError("", str(error))]) from None
    return validate_contract(document, file_name=file_name, catalogue=catalogue)


def validate_contract(document, *, file_name: str, catalogue: KpiCatalogue) -> ContractSpec:
    """Validate a parsed contract document. Raises ``ContractFileError`` listing every problem.

    Every number and text is checked against the bounds in :mod:`contracts.checks` (the table
    in docs/contract-file.md); lists are bounded by ``MAX_VERSIONS`` and ``MAX_COMPONENTS``.
    """
    check = Checker()
    if document is None:
        raise ContractFileError(file_name, [FieldError("", "the file is empty")])
    if check.mapping(document, "", required=TOP_REQUIRED, optional=TOP_OPTIONAL) is None:
        raise ContractFileError(file_name, check.errors)
    d = document
    reference = check.text(d.get("reference"), "reference", REFERENCE) if "reference" in d else None
    fields = {
        "reference": reference,
        "title": check.text(d.get("title"), "title", TITLE) if "title" in d else None,
        "buyer": _party(check, d.get("buyer"), "buyer") if "buyer" in d else None,
        "supplier": _party(check, d.get("supplier"), "supplier") if "supplier" in d else None,
        "currency": _currency(check, d.get("currency")) if "currency" in d else None,
        "tax_rate": check.decimal(d.get("tax_rate"), "tax_rate", TAX_PERCENT) if "tax_rate" in d else None,
        "rounding": check.choice(d.get("rounding", "half_up"), "rounding", ("half_up", "half_even")),
        "start_date": check.date(d.get("start"), "start") if "start" in d else None,
        "end_date": check.date(d["end"], "end") if d.get("end") is not None else None,
        "payment_terms_days": check.integer(
            d.get("payment_terms_days", 30),
            "payment_terms_days",
            minimum=PAYMENT_TERMS_DAYS[0],
            maximum=PAYMENT_TERMS_DAYS[1],
        ),
        "self_billing": check.boolean(d.get("self_billing", False), "self_billing"),
        "versions": _versions(check, d.get("terms"), catalogue) if "terms" in d else None,
    }
    if fields["start_date"] and fields["end_date"] and fields["end_date"] < fields["start_date"]:
        check.error("end", f"ends ({fields['end_date']}) before it starts ({fields['start_date']})")
    if fields["buyer"] and fields["supplier"] and fields["buyer"].name == fields["supplier"].name:
        check.error("supplier.name", "buyer and supplier must be different organisations")
    if "self_billing_agreement" in d:
        fields["agreement"] = _agreement(check, d["self_billing_agreement"], fields)
    if d.get("kpi_sources") is not None:
        fields["kpi_sources"] = _kpi_sources(check, d["kpi_sources"], catalogue)
    if d.get("kpi_checks") is not None:
        fields["kpi_checks"] = kpi_checks_validate(check, d["kpi_checks"], catalogue)
    if d.get("buyer_reference") is not None:
        fields["buyer_reference"] = _buyer_reference(check, d["buyer_reference"])
    if check.errors:
        raise ContractFileError(file_name, check.errors)
    return ContractSpec(**fields)


def _kpi_sources(check: Checker, value, catalogue: KpiCatalogue) -> dict[str, str]:
    """``{kpi code: buyer | supplier}``: the party whose figures count where the contract
    departs from the catalogue. Every key is a code of the catalogue, every value one of
    ``KPI_SOURCES``; a mapping with more entries than the catalogue has KPIs is refused before
    its entries are read (a megabyte of keys is one problem, not a hundred thousand)."""
    path = "kpi_sources"
    if not isinstance(value, dict):
        check.mapping(value, path, required=())  # records "expected a mapping, got …"
        return {}
    if len(value) > len(catalogue):
        check.error(path, f"has {len(value)} entries; the KPI catalogue has {len(catalogue)} KPIs")
        return {}
    sources = {}
    for code, source in value.items():
        if not (is_text(code) and code in catalogue):
            check.error(key_path(path, code), f"unknown KPI code {shown(code)}")
        elif check.choice(source, f"{path}.{code}", KPI_SOURCES) is not None:
            sources[code] = source
    return dict(sorted(sources.items()))


def validate_kpi_sources(value) -> None:
    """The validator of ``Contract.kpi_sources``: a form that edits the field directly (the
    admin's contract page) stores only what a contract file could give, with the same
    messages. Raises ``ValidationError`` with every problem, by key path."""
    from django.core.exceptions import ValidationError

    from .selectors import kpi_catalogue  # the selectors import the models, which use this

    check = Checker()
    sources = _kpi_sources(check, value, kpi_catalogue())
    if not check.errors and sources != value:
        check.error("kpi_sources", f"write the sources as an export writes them: {sources}")
    if check.errors:
        raise ValidationError([str(error) for error in check.errors[:MAX_REPORTED]])


def _agreement(check: Checker, value, fields: dict) -> AgreementSpec | None:
    path = "self_billing_agreement"
    if fields["self_billing"] is False:
        check.error(path, "only a self-billed contract (self_billing: true) has a self-billing agreement")
        return None
    if check.mapping(value, path, required=AGREEMENT_REQUIRED, optional=AGREEMENT_OPTIONAL) is None:
        return None
    start = check.date(value.get("start"), f"{path}.start") if "start" in value else None
    end = check.date(value.get("end"), f"{path}.end") if "end" in value else None
    if "supplier_vat" in value:
        supplier_vat = check.optional_text(
            _vat_as_written(value["supplier_vat"]), f"{path}.supplier_vat", VAT_NUMBER
        )
    else:
        supplier_vat = fields["supplier"].vat_number if fields["supplier"] else None
    if start and end and end < start:
        check.error(f"{path}.end", f"ends ({end}) before it starts ({start})")
        return None
    if start is None or end is None or supplier_vat is None:
        return None
    return AgreementSpec(start_date=start, end_date=end, supplier_vat=supplier_vat)


def _party(check: Checker, value, path: str) -> PartySpec | None:
    if check.mapping(value, path, required=PARTY_REQUIRED, optional=PARTY_OPTIONAL) is None:
        return None
    name = check.text(value.get("name"), f"{path}.name", NAME) if "name" in value else None
    country = value.get("country")
    if "country" in value and not (is_text(country) and re.fullmatch(r"[A-Z]{2}", country)):
        check.error(f"{path}.country", f"expected a two-letter ISO country code, got {shown(country)}")
    code = value.get("code") or (party_code(name) if name else None)
    if code is not None and not (is_text(code) and CODE_RE.fullmatch(code)):
        check.error(f"{path}.code", f"expected 1–10 upper-case letters or digits, got {shown(code)}")
    optional = {
        "vat_number": check.optional_text(
            _vat_as_written(value.get("vat_number")), f"{path}.vat_number", VAT_NUMBER
        ),
        "address": check.optional_text(value.get("address"), f"{path}.address", ADDRESS),
        "email": check.email(value.get("email"), f"{path}.email"),
        "remittance_email": check.email(value.get("remittance_email"), f"{path}.remittance_email"),
        **_payment_details(check, value, path, country),
    }
    if name is None or None in optional.values():
        return None
    return PartySpec(name=name, country=str(country), code=str(code), **optional)


def _payment_details(check: Checker, party: dict, path: str, country) -> dict:
    """A party's ``PAYMENT_KEYS``, each text (a number written without quotes is refused: a
    leading zero would be lost) checked by ``contracts.payment`` and kept compact; a value
    with a problem is ``None``."""
    written = {}
    for key in PAYMENT_KEYS:
        value = party.get(key)
        if value is not None and not is_text(value):
            check.error(f"{path}.{key}", f"expected text (quote it), got {shown(value)}")
            written[key] = None
        else:
            written[key] = (value or "").strip()
    texts = {key: value or "" for key, value in written.items()}
    country_code = country if is_text(country) else ""
    for key, message in payment.payment_details_problems(country=country_code, **texts).items():
        if written[key] is not None:
            check.error(f"{path}.{key}", message)
            written[key] = None
    details = {
        key: None if value is None else payment.compact(value)
        for key, value in written.items()
        if key != "registration_number"
    }
    number = written["registration_number"]
    details["registration_number"] = None if number is None else payment.registration_number_compact(number)
    return details


def _buyer_reference(check: Checker, value) -> str | None:
    """The buyer's reference or PO number: text (a number without quotes is taken as written),
    checked by ``contracts.payment.buyer_reference_problem``."""
    value = _vat_as_written(value)
    if not is_text(value):
        check.error("buyer_reference", f"expected text, got {shown(value)}")
        return None
    if problem := payment.buyer_reference_problem(value):
        check.error("buyer_reference", problem)
        return None
    return value.strip()


def _vat_as_written(value):
    """A VAT number of digits only written without quotes is the number as written (its text);
    anything else is left for the text check to accept or refuse."""
    if isinstance(value, int | NumberLiteral) and not isinstance(value, bool):
        return str(value)
    return value


def _currency(check: Checker, value) -> str | None:
    code = value if is_text(value) else None
    if code is None or not re.fullmatch(r"[A-Z]{3}", code):
        check.error("currency", f"expected a three-letter ISO 4217 code, got {shown(value)}")
        return None
    try:
        currency = moneyed.get_currency(code)
    except moneyed.CurrencyDoesNotExist:
        currency = None
    if currency is None or currency.code in {"XXX", "XTS"}:
        check.error("currency", f"unknown ISO 4217 currency code {code!r}")
        return None
    return code


def _versions(check: Checker, value, catalogue: KpiCatalogue) -> tuple[VersionSpec, ...]:
    versions, seen = [], set()
    validator = ComponentValidator(check, catalogue)
    for i, version in enumerate(check.items(value, "terms", max_items=MAX_VERSIONS)):
        path = f"terms[{i}]"
        if (
            check.mapping(version, path, required=("effective_from", "components"), optional=("indexation",))
            is None
        ):
            continue
        effective = version.get("effective_from")
        if not (is_text(effective) and PERIOD_RE.fullmatch(effective)):
            check.error(f"{path}.effective_from", f"expected a month YYYY-MM, got {shown(effective)}")
        elif effective in seen:
            check.error(f"{path}.effective_from", f"{effective} appears twice: one terms version per month")
        if is_text(effective):
            seen.add(effective)
        components = _components(check, validator, version.get("components"), f"{path}.components")
        indexation = None
        if version.get("indexation") is not None:
            types = _component_types(version.get("components"))
            indexation = indexation_validate(check, version["indexation"], f"{path}.indexation", types)
        versions.append(VersionSpec(str(effective), components, indexation))
    return tuple(sorted(versions, key=lambda v: v.effective_from))


def _component_types(components) -> dict[str, str]:
    """The version's component ids and their types as the file gives them (an indexation
    names them; each component's own problems are reported by ``_components``)."""
    if not isinstance(components, list):
        return {}
    return {
        c["id"]: c["type"]
        for c in components[:MAX_COMPONENTS]
        if isinstance(c, dict) and is_text(c.get("id")) and is_text(c.get("type"))
    }


def _components(check: Checker, validator: ComponentValidator, value, path: str) -> tuple[ComponentSpec, ...]:
    components, ids = [], set()
    items = check.items(value, path, max_items=MAX_COMPONENTS) if value is not None else []
    for i, component in enumerate(items):
        where = f"{path}[{i}]"
        if not isinstance(component, dict):
            check.error(where, "expected a mapping")
            continue
        component_id, type_ = component.get("id"), component.get("type")
        if not (is_text(component_id) and ID_RE.fullmatch(component_id)):
            check.error(
                f"{where}.id", f"expected an id of 1–50 letters, digits, - or _, got {shown(component_id)}"
            )
        elif component_id in ids:
            check.error(f"{where}.id", f"duplicate component id {component_id!r}")
        if is_text(component_id):
            ids.add(component_id)
        if not is_text(type_) or type_ not in COMPONENT_TYPES:
            known = ", ".join(COMPONENT_TYPES)
            check.error(f"{where}.type", f"unknown component type {shown(type_)} (known: {known})")
            continue
        params = {k: v for k, v in component.items() if k not in ("id", "type")}
        canonical = validator.validate(type_, params, where)
        if canonical is not None:
            components.append(ComponentSpec(str(component_id), type_, canonical))
    return tuple(components)

"""Writes: importing and exporting contract files.

An import is atomic per file: every check runs first, and a file with any problem changes
nothing. Importing an unchanged file changes no contract, party, version or component; it is
recorded, like every successful import, as a ``ContractImport`` (the file's SHA-256, who
imported it, what it changed) in the import's transaction.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from types import SimpleNamespace

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .checks import FieldError
from .components import COMPONENT_TYPES
from .indexation import canonical_indexation
from .models import (
    Component,
    Contract,
    ContractImport,
    IndexSeries,
    Organisation,
    SelfBillingAgreement,
    TermsVersion,
)
from .schema import (
    MAX_FILE_BYTES,
    AgreementSpec,
    ContractFileError,
    ContractSpec,
    PartySpec,
    VersionSpec,
    contract_file_validate,
)
from .selectors import (
    ContractRecord,
    HistoryGap,
    contract_record,
    contract_record_as_of,
    kpi_catalogue,
    stored_components,
)
from .vat import vat_number_problem
from .yamlio import dump_document

__all__ = [
    "MAX_FILE_BYTES",
    "HistoryGap",
    "contract_export",
    "contract_export_as_of",
    "contract_import",
    "contract_import_content",
]

# Statement states after which the terms version that priced them is frozen.
FROZEN_STATUSES = ("issued", "paid", "void")


# Attempts at one import: an import that loses a race with another writing the same rows
# (two first imports of one file at once, each creating the contract and its parties) fails on
# a unique constraint, and is tried once more, when it finds what the other wrote.
IMPORT_ATTEMPTS = 2


@dataclass(frozen=True)
class ImportResult:
    reference: str
    status: str  # "created" | "updated" | "unchanged" (models.ImportStatus)
    changes: tuple[str, ...] = ()
    sha256: str = ""  # of the file's bytes, as recorded in its ContractImport


@contextmanager
def history_author(user):
    """Every history row written inside is authored by ``user`` (None: left as it is, the
    request's user under the history middleware, else nobody)."""
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    if user is None:
        yield
        return
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del context.request
        else:
            context.request = previous


def contract_import(*, path: Path, user=None) -> ImportResult:
    """Import one contract file (YAML, or JSON by its ``.json`` suffix).

    Raises ``ContractFileError`` naming the file, the key path and the problem; nothing is
    written then. At most ``MAX_FILE_BYTES`` are read: a larger file (or a device that never
    ends) is refused without being read whole.
    """
    path = Path(path)
    try:
        with path.open("rb") as stream:
            content = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ContractFileError(
            path.name, [FieldError("", f"cannot read the file: {error.strerror or error}")]
        ) from None
    return contract_import_content(file_name=str(path), content=content, user=user)


def contract_import_content(*, file_name: str, content: bytes, user=None) -> ImportResult:
    """Import a contract file given as bytes (the admin's upload). See :func:`contract_import`.

    Every check of :func:`contracts.schema.contract_file_validate` runs before a write.
    ``user`` is the author of the history rows the import writes, records a new
    self-billing agreement and is recorded as the importer (None: nobody, the command line
    without ``--user``). The import is recorded (``ContractImport``: the last 255 characters
    of ``file_name``, the SHA-256 of ``content``, the status and changes) in its transaction.

    An import that meets a unique constraint (another import of the same new contract
    committed first) is tried again once (``IMPORT_ATTEMPTS``) and then finds the other's
    rows: ``unchanged`` when both files are the same. A conflict that remains is a
    ``ContractFileError``, never an ``IntegrityError``.
    """
    spec = contract_file_validate(file_name=file_name, content=content, catalogue=kpi_catalogue())
    sha256 = hashlib.sha256(content).hexdigest()
    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        try:
            with transaction.atomic(), history_author(user):
                contract, result = _apply(spec, file_name, user)
                ContractImport.objects.create(
                    file_name=file_name[-ContractImport.FILE_NAME_CHARS :],
                    sha256=sha256,
                    imported_by=user,
                    contract=contract,
                    reference=result.reference,
                    status=result.status,
                    changes=list(result.changes),
                )
                return ImportResult(result.reference, result.status, result.changes, sha256)
        except IntegrityError as error:
            if attempt == IMPORT_ATTEMPTS:
                raise ContractFileError(
                    file_name, [FieldError("", f"conflicts with existing data: {error}")]
                ) from None
    raise AssertionError("unreachable: the last attempt returns or raises")


# A party's payment details and company number, as the file and the organisation name them.
PARTY_PAYMENT_FIELDS = (
    "iban",
    "bic",
    "sort_code",
    "account_number",
    "registration_number",
    "remittance_email",
)


def _vat_errors(spec: ContractSpec) -> list[FieldError]:
    """The parties' VAT numbers, and the agreement's where the file gives another one,
    checked for the party's country (``contracts.vat``)."""
    numbers = [("buyer.vat_number", spec.buyer), ("supplier.vat_number", spec.supplier)]
    errors = [
        FieldError(path, problem)
        for path, party in numbers
        if (problem := vat_number_problem(party.country, party.vat_number))
    ]
    agreement = spec.agreement
    if agreement is not None and agreement.supplier_vat != spec.supplier.vat_number:
        problem = vat_number_problem(spec.supplier.country, agreement.supplier_vat)
        if problem:
            errors.append(FieldError("self_billing_agreement.supplier_vat", problem))
    return errors


def _index_errors(spec: ContractSpec) -> list[FieldError]:
    """An ``indexation`` naming an index series that does not exist (one query)."""
    named = {
        i: version.indexation["index"]
        for i, version in enumerate(spec.versions)
        if version.indexation is not None
    }
    known = set(IndexSeries.objects.filter(code__in=set(named.values())).values_list("code", flat=True))
    return [
        FieldError(f"terms[{i}].indexation.index", f"unknown index series {code!r} (import it first)")
        for i, code in named.items()
        if code not in known
    ]


def _apply(spec: ContractSpec, file_name: str, user=None) -> tuple[Contract, ImportResult]:
    vat_errors = _vat_errors(spec) + _index_errors(spec)
    if vat_errors:
        raise ContractFileError(file_name, vat_errors)
    changes: list[str] = []
    buyer = _organisation(spec.buyer, changes, "buyer", file_name)
    supplier = _organisation(spec.supplier, changes, "supplier", file_name)
    contract = Contract.objects.select_for_update().filter(reference=spec.reference).first()
    created = contract is None
    fields = {
        "title": spec.title,
        "buyer": buyer,
        "supplier": supplier,
        "currency": spec.currency,
        "tax_rate": spec.tax_rate,
        "rounding": spec.rounding,
        "start_date": spec.start_date,
        "end_date": spec.end_date,
        "payment_terms_days": spec.payment_terms_days,
        "self_billing": spec.self_billing,
        "kpi_sources": spec.kpi_sources,
        "kpi_checks": spec.kpi_checks,
        "buyer_reference": spec.buyer_reference,
    }
    if created:
        contract = Contract.objects.create(reference=spec.reference, **fields)
        changes.append("contract created")
    elif _assign_changed(contract, fields):
        contract.save()
        changes.append("contract details updated")
    changes += _apply_versions(contract, spec.versions, file_name, user)
    if spec.agreement is not None:
        changes += _apply_agreement(contract, spec.agreement, user)
    status = "created" if created else ("updated" if changes else "unchanged")
    return contract, ImportResult(spec.reference, status, tuple(changes))


def _assign_changed(instance, fields: dict) -> bool:
    changed = False
    for name, value in fields.items():
        current = getattr(instance, name)
        if name == "currency":  # a Currency object on the model, a code in the file
            current, value = str(current), str(value)
        if current != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _organisation(party: PartySpec, changes: list[str], path: str, file_name: str) -> Organisation:
    taken = Organisation.objects.filter(code=party.code).exclude(name=party.name).first()
    if taken is not None:
        message = f"code {party.code} is already used by {taken.name}; give this organisation its own code"
        raise ContractFileError(file_name, [FieldError(f"{path}.code", message)])
    fields = {
        "code": party.code,
        "country": party.country,
        "vat_number": party.vat_number,
        "address": party.address,
        "email": party.email,
        **{key: getattr(party, key) for key in PARTY_PAYMENT_FIELDS},
    }
    organisation = Organisation.objects.filter(name=party.name).first()
    if organisation is None:
        changes.append(f"organisation {party.name} created")
        return Organisation.objects.create(name=party.name, **fields)
    if _assign_changed(organisation, fields):
        organisation.save()
        changes.append(f"organisation {party.name} updated")
    return organisation


def _agreement_recorded(contract: Contract, fields: dict) -> bool:
    return contract.self_billing_agreements.filter(**fields).exists()


def _apply_agreement(contract: Contract, agreement: AgreementSpec, user) -> list[str]:
    """Records the file's self-billing agreement unless the contract already has it.

    The contract row is locked by the import, but an agreement recorded in the admin is not:
    one recorded meanwhile makes the insert meet the unique constraint (on PostgreSQL after
    waiting for the other's commit), and is then the agreement, recorded once."""
    fields = {
        "start_date": agreement.start_date,
        "end_date": agreement.end_date,
        "supplier_vat_number": agreement.supplier_vat,
    }
    if _agreement_recorded(contract, fields):
        return []
    try:
        with transaction.atomic():
            SelfBillingAgreement.objects.create(contract=contract, recorded_by=user, **fields)
    except IntegrityError:
        if _agreement_recorded(contract, fields):
            return []
        raise
    return [f"self-billing agreement {agreement.start_date} to {agreement.end_date} recorded"]


def _apply_versions(
    contract: Contract, versions: tuple[VersionSpec, ...], file_name: str, user=None
) -> list[str]:
    existing = {v.effective_from: v for v in contract.versions.all()}
    wanted = {v.effective_from: v for v in versions}
    errors, changes = [], []
    plan = []
    for month, version in existing.items():
        if month not in wanted and version.statements.exists():
            errors.append(FieldError("terms", f"version {month} has statements and cannot be removed"))
        elif month not in wanted:
            plan.append(("delete", version, None))
    for i, (month, spec) in enumerate(sorted(wanted.items())):
        current = existing.get(month)
        new_components = tuple((c.id, c.type, c.params) for c in spec.components)
        if (
            current is not None
            and stored_components(current) == new_components
            and current.indexation == spec.indexation
        ):
            continue
        if current is not None and current.statements.filter(status__in=FROZEN_STATUSES).exists():
            errors.append(
                FieldError(
                    f"terms[{i}]",
                    f"version {month} priced an issued statement and cannot change; add a new version instead",
                )
            )
            continue
        plan.append(("write", current, spec))
    if errors:
        raise ContractFileError(file_name, errors)
    for action, version, spec in plan:
        if action == "delete":
            version.delete()
            changes.append(f"version {version.effective_from} removed")
            continue
        if version is None:
            version = TermsVersion.objects.create(
                contract=contract, effective_from=spec.effective_from, indexation=spec.indexation
            )
            changes.append(f"version {spec.effective_from} added")
        else:
            version.indexation = spec.indexation
            version.save(update_fields=["indexation", "updated_at"])
            changes.append(f"version {spec.effective_from} replaced")
        _write_components(version, spec.components, user)
    return changes


def _write_components(version: TermsVersion, components, user) -> None:
    """Make ``version``'s components those of the file, in its order. A component whose id
    the version has already is updated in its row, so that its history continues as one
    component (an auditor reads ``amount: 15000.00 → 16000.00``, not a removal and an
    addition); the others are added, and those the file no longer has are removed. Every
    write keeps its history record, authored by ``user``."""
    stored = {component.component_id: component for component in version.components.all()}
    wanted = {component.id for component in components}
    gone = [component.pk for component_id, component in stored.items() if component_id not in wanted]
    if gone:
        Component.objects.filter(pk__in=gone).delete()
    changed, added = [], []
    for position, spec in enumerate(components):
        row = stored.get(spec.id)
        if row is None:
            added.append(
                Component(
                    version=version,
                    position=position,
                    component_id=spec.id,
                    type=spec.type,
                    params=spec.params,
                )
            )
        elif (row.position, row.type, row.params) != (position, spec.type, spec.params):
            row.position, row.type, row.params = position, spec.type, spec.params
            changed.append(row)
    if changed:
        bulk_update_with_history(changed, Component, ["position", "type", "params"], default_user=user)
    if added:
        bulk_create_with_history(added, Component, default_user=user)


def contract_document(*, record: ContractRecord) -> dict:
    """A contract as a canonical contract-file document (decimals as strings), from what
    :func:`contracts.selectors.contract_record` or ``contract_record_as_of`` read: the
    present and a past state are written by this one function."""
    contract = record.contract

    def party(org: Organisation) -> dict:
        data = {"name": org.name, "code": org.code, "country": org.country}
        data.update(
            {
                key: getattr(org, key)
                for key in ("vat_number", "address", "email", *PARTY_PAYMENT_FIELDS)
                if getattr(org, key)
            }
        )
        return data

    document = {
        "reference": contract.reference,
        "title": contract.title,
        "buyer": party(record.buyer),
        "supplier": party(record.supplier),
        "currency": str(contract.currency),
        "tax_rate": str(contract.tax_rate),
        "rounding": contract.rounding,
        "start": contract.start_date.isoformat(),
    }
    if contract.end_date:
        document["end"] = contract.end_date.isoformat()
    document["payment_terms_days"] = contract.payment_terms_days
    if contract.buyer_reference:
        document["buyer_reference"] = contract.buyer_reference
    document["self_billing"] = contract.self_billing
    agreement = record.agreement
    if contract.self_billing and agreement is not None:
        document["self_billing_agreement"] = {
            "start": agreement.start_date.isoformat(),
            "end": agreement.end_date.isoformat(),
            "supplier_vat": agreement.supplier_vat_number,
        }
    if contract.kpi_sources:
        document["kpi_sources"] = dict(sorted(contract.kpi_sources.items()))
    if contract.kpi_checks:
        document["kpi_checks"] = contract.kpi_checks
    document["terms"] = [
        _version_document(effective_from, components, record.indexations.get(effective_from))
        for effective_from, components in record.versions
    ]
    return document


def _version_document(effective_from: str, components, indexation: dict | None) -> dict:
    """A terms version as the file writes it: its month, its indexation (when it has one),
    its components."""
    version: dict = {"effective_from": effective_from}
    if indexation is not None:
        version["indexation"] = canonical_indexation(indexation)
    version["components"] = [
        {"id": cid, "type": type_, **canonical_order(type_, params)} for cid, type_, params in components
    ]
    return version


def canonical_order(type_: str, params: dict) -> dict:
    """``params`` with its keys in the type's canonical order (``ComponentType.keys``: the common
    ``title``, ``gl_code``, ``cost_centre`` first), any other key after them as stored: PostgreSQL's
    ``jsonb`` keeps keys sorted by length, not as they were written."""
    entry = COMPONENT_TYPES.get(type_)
    order = entry.keys if entry is not None else ()
    rank = {key: index for index, key in enumerate(order)}
    return dict(sorted(params.items(), key=lambda item: rank.get(item[0], len(rank))))


def contract_export(*, contract: Contract, fmt: str = "yaml") -> str:
    """The contract file text (YAML or JSON); importing it changes nothing."""
    return dump_document(contract_document(record=contract_record(contract=contract)), fmt=fmt)


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in the project's time zone (``settings.TIME_ZONE``)."""
    return timezone.make_aware(datetime.combine(day, time.max))


def contract_export_as_of(*, contract: Contract, day: date, fmt: str = "yaml") -> str | None:
    """The contract file text as the contract stood at the end of ``day`` in the project's
    time zone (:func:`end_of_day`), or None when it did not exist then. Raises ``HistoryGap``
    when it existed but its history does not reach back so far. Importing the text of today
    changes nothing, like :func:`contract_export`'s."""
    record = contract_record_as_of(contract=contract, moment=end_of_day(day))
    if record is None:
        return None
    return dump_document(contract_document(record=record), fmt=fmt)

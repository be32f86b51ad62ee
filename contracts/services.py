"""Writes: importing and exporting contract files.

An import is atomic per file: every check runs first, and a file with any problem changes
nothing. Importing an unchanged file writes nothing at all.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from django.db import IntegrityError, transaction
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history

from .checks import FieldError
from .models import Component, Contract, Organisation, SelfBillingAgreement, TermsVersion
from .schema import (
    MAX_FILE_BYTES,
    AgreementSpec,
    ContractFileError,
    ContractSpec,
    PartySpec,
    VersionSpec,
    contract_file_validate,
)
from .selectors import kpi_catalogue
from .vat import vat_number_problem
from .yamlio import dump_document

__all__ = ["MAX_FILE_BYTES", "contract_export", "contract_import", "contract_import_content"]

# Statement states after which the terms version that priced them is frozen.
FROZEN_STATUSES = ("issued", "paid", "void")


@dataclass(frozen=True)
class ImportResult:
    reference: str
    status: str  # "created" | "updated" | "unchanged"
    changes: tuple[str, ...] = ()


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
    ``user`` is the author of the history rows the import writes and records a new
    self-billing agreement.
    """
    spec = contract_file_validate(file_name=file_name, content=content, catalogue=kpi_catalogue())
    try:
        with transaction.atomic(), history_author(user):
            return _apply(spec, file_name, user)
    except IntegrityError as error:
        raise ContractFileError(
            file_name, [FieldError("", f"conflicts with existing data: {error}")]
        ) from None


def _apply(spec: ContractSpec, file_name: str, user=None) -> ImportResult:
    vat_errors = [
        FieldError(f"{path}.vat_number", problem)
        for path, party in (("buyer", spec.buyer), ("supplier", spec.supplier))
        if (problem := vat_number_problem(party.country, party.vat_number))
    ]
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
    return ImportResult(spec.reference, status, tuple(changes))


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
    }
    organisation = Organisation.objects.filter(name=party.name).first()
    if organisation is None:
        changes.append(f"organisation {party.name} created")
        return Organisation.objects.create(name=party.name, **fields)
    if _assign_changed(organisation, fields):
        organisation.save()
        changes.append(f"organisation {party.name} updated")
    return organisation


def _stored_components(version: TermsVersion) -> list[tuple[str, str, dict]]:
    return [(c.component_id, c.type, c.params) for c in version.components.order_by("position", "id")]


def _apply_agreement(contract: Contract, agreement: AgreementSpec, user) -> list[str]:
    """Records the file's self-billing agreement unless the contract already has it."""
    fields = {
        "start_date": agreement.start_date,
        "end_date": agreement.end_date,
        "supplier_vat_number": agreement.supplier_vat,
    }
    if contract.self_billing_agreements.filter(**fields).exists():
        return []
    SelfBillingAgreement.objects.create(contract=contract, recorded_by=user, **fields)
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
        new_components = [(c.id, c.type, c.params) for c in spec.components]
        if current is not None and _stored_components(current) == new_components:
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
            version = TermsVersion.objects.create(contract=contract, effective_from=spec.effective_from)
            changes.append(f"version {spec.effective_from} added")
        else:
            version.components.all().delete()
            version.save(update_fields=["updated_at"])
            changes.append(f"version {spec.effective_from} replaced")
        bulk_create_with_history(
            [
                Component(version=version, position=n, component_id=c.id, type=c.type, params=c.params)
                for n, c in enumerate(spec.components)
            ],
            Component,
            default_user=user,
        )
    return changes


def contract_document(*, contract: Contract) -> dict:
    """The contract as a canonical contract-file document (decimals as strings)."""

    def party(org: Organisation) -> dict:
        data = {"name": org.name, "code": org.code, "country": org.country}
        data.update(
            {key: getattr(org, key) for key in ("vat_number", "address", "email") if getattr(org, key)}
        )
        return data

    document = {
        "reference": contract.reference,
        "title": contract.title,
        "buyer": party(contract.buyer),
        "supplier": party(contract.supplier),
        "currency": str(contract.currency),
        "tax_rate": str(contract.tax_rate),
        "rounding": contract.rounding,
        "start": contract.start_date.isoformat(),
    }
    if contract.end_date:
        document["end"] = contract.end_date.isoformat()
    document["payment_terms_days"] = contract.payment_terms_days
    document["self_billing"] = contract.self_billing
    agreement = contract.self_billing_agreements.order_by("-start_date", "-pk").first()
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
        {
            "effective_from": version.effective_from,
            "components": [
                {"id": cid, "type": type_, **params} for cid, type_, params in _stored_components(version)
            ],
        }
        for version in contract.versions.order_by("effective_from")
    ]
    return document


def contract_export(*, contract: Contract, fmt: str = "yaml") -> str:
    """The contract file text (YAML or JSON); importing it changes nothing."""
    return dump_document(contract_document(contract=contract), fmt=fmt)

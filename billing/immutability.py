"""Issued documents cannot change: the model-layer half of the rule.

A statement that is issued, paid or void keeps its number, amounts, parties, inputs and
lines for ever. Only these transitions may touch it: issued → paid (``paid_at``), issued →
void (``void_reason``, ``voided_at``), and storing its PDF once. On PostgreSQL triggers
(migrations ``0002`` and ``0006``) enforce the same rule below the ORM.
"""

from django.db import models

FROZEN_STATUSES = ("issued", "paid", "void")
ALLOWED_TRANSITIONS = {"issued": {"issued", "paid", "void"}, "paid": {"paid"}, "void": {"void"}}
# Fields a frozen statement may still change, and only as the transitions above allow.
MUTABLE_FIELDS = {"status", "paid_at", "void_reason", "voided_at", "pdf", "pdf_sha256", "updated_at"}


class ImmutableError(Exception):
    """An attempt to change or delete an issued document."""


class StatementQuerySet(models.QuerySet):
    def delete(self):
        if self.filter(status__in=FROZEN_STATUSES).exists():
            raise ImmutableError("issued statements cannot be deleted")
        return super().delete()

    def update(self, **kwargs):
        if set(kwargs) - MUTABLE_FIELDS and self.filter(status__in=FROZEN_STATUSES).exists():
            raise ImmutableError(
                f"issued statements cannot change {', '.join(sorted(set(kwargs) - MUTABLE_FIELDS))}"
            )
        return super().update(**kwargs)


class StatementLineQuerySet(models.QuerySet):
    def delete(self):
        if self.filter(statement__status__in=FROZEN_STATUSES).exists():
            raise ImmutableError("lines of issued statements cannot be deleted")
        return super().delete()

    def update(self, **kwargs):
        if self.filter(statement__status__in=FROZEN_STATUSES).exists():
            raise ImmutableError("lines of issued statements cannot change")
        return super().update(**kwargs)


def check_statement_change(statement) -> None:
    """Raise ``ImmutableError`` if saving ``statement`` would change a frozen document."""
    if statement.pk is None:
        return
    stored = type(statement).objects.filter(pk=statement.pk).values().first()
    if stored is None or stored["status"] not in FROZEN_STATUSES:
        return
    if statement.status not in ALLOWED_TRANSITIONS[stored["status"]]:
        raise ImmutableError(
            f"statement {stored['number']} cannot go from {stored['status']} to {statement.status}"
        )
    for field in statement._meta.concrete_fields:
        if field.attname in MUTABLE_FIELDS:
            continue
        if getattr(statement, field.attname) != stored[field.attname]:
            raise ImmutableError(
                f"statement {stored['number']} is {stored['status']}: {field.name} cannot change"
            )
    if stored["pdf"] and str(statement.pdf) != stored["pdf"]:
        raise ImmutableError(f"statement {stored['number']}: its stored PDF cannot be replaced")

"""Issued documents cannot change: the rule, stated once, for the model layer and PostgreSQL.

A statement that is issued, paid or void keeps every column for ever, except the few that
``MUTABLE_COLUMNS`` names, and those only as it says: issued → paid sets ``paid_at`` and
``paid_by``, issued → void sets ``void_reason``, ``voided_at`` and ``voided_by``, the PDF is stored once, ``updated_at`` follows
every save. A paid or void document is frozen whole (bar a PDF not yet stored). Its lines
never change and are never deleted.

The model layer (``check_statement_change``, the query sets below) applies
``frozen_change_problem`` to each row it would write. On PostgreSQL the trigger that
``statement_guard_sql`` generates from the same list refuses the same changes below the ORM:
any column not in the list is compared through ``to_jsonb``, so a column added later is frozen
without anyone remembering to add it. ``tests/integration/billing/test_guards.py`` checks that
the two layers agree column by column, and that the installed trigger is the generated one.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import models
from django.db.models.expressions import Combinable

FROZEN_STATUSES = ("issued", "paid", "void")
ALLOWED_TRANSITIONS = {"issued": ("issued", "paid", "void"), "paid": ("paid",), "void": ("void",)}


@dataclass(frozen=True)
class Allowance:
    """When a frozen statement may still change one column: always (both empty), only in one
    status change (``transition``, from → to), or only while a column is still empty."""

    transition: tuple[str, str] | None = None
    while_empty: str | None = None


# The one allow-list: every column of billing_statement not named here is frozen once issued.
# ``status`` may change only as ALLOWED_TRANSITIONS says.
MUTABLE_COLUMNS: dict[str, Allowance] = {
    "status": Allowance(),
    "updated_at": Allowance(),
    "paid_at": Allowance(transition=("issued", "paid")),
    "void_reason": Allowance(transition=("issued", "void")),
    "voided_at": Allowance(transition=("issued", "void")),
    "voided_by_id": Allowance(transition=("issued", "void")),
    "paid_by_id": Allowance(transition=("issued", "paid")),
    "pdf": Allowance(while_empty="pdf"),
    "pdf_sha256": Allowance(while_empty="pdf"),
}
# Set in a transaction (``SET LOCAL billing.maintenance = 'on'``) by an operator who means to
# empty the billing tables, e.g. the test runner's flush; nothing in the application sets it.
MAINTENANCE_SETTING = "billing.maintenance"


class ImmutableError(Exception):
    """An attempt to change or delete an issued document."""


def frozen_change_problem(old: Mapping, new: Mapping, names: Mapping[str, str] | None = None) -> str | None:
    """Why turning the stored row ``old`` into ``new`` (both column → value, the same columns)
    is refused, or ``None`` when it is allowed. ``names`` gives a column's name for messages
    (``supplier`` for ``supplier_id``). Rows not yet issued may change freely."""
    names = names or {}
    before, after = old["status"], new["status"]
    if before not in FROZEN_STATUSES:
        return None
    if after not in ALLOWED_TRANSITIONS[before]:
        return f"cannot go from {before} to {after}"
    for column, value in old.items():
        if new[column] == value:
            continue
        name = names.get(column, column)
        allowance = MUTABLE_COLUMNS.get(column)
        if allowance is None:
            return f"is {before}: {name} cannot change"
        if allowance.transition is not None and (before, after) != allowance.transition:
            return (
                f"is {before}: {name} cannot change unless it goes from {' to '.join(allowance.transition)}"
            )
        if allowance.while_empty is not None and old[allowance.while_empty]:
            return f"is {before}: its stored {names.get(allowance.while_empty, allowance.while_empty)} cannot be replaced"
    return None


def _column_values(instance: models.Model, fields: Iterable[models.Field]) -> dict:
    values = {}
    for field in fields:
        value = getattr(instance, field.attname)
        values[field.column] = value.name or "" if isinstance(field, models.FileField) else value
    return values


def _names(model: type[models.Model]) -> dict[str, str]:
    return {field.column: field.name for field in model._meta.concrete_fields}


def check_statement_change(statement, update_fields: Iterable[str] | None = None) -> None:
    """Raise ``ImmutableError`` if saving ``statement`` (only ``update_fields``, when given)
    would change a frozen document in a way ``frozen_change_problem`` refuses."""
    if statement.pk is None:
        return
    model = type(statement)
    fields = model._meta.concrete_fields
    stored = model.objects.filter(pk=statement.pk).values(*(field.attname for field in fields)).first()
    if stored is None or stored["status"] not in FROZEN_STATUSES:
        return
    old = {field.column: stored[field.attname] for field in fields}
    written = [field for field in fields if update_fields is None or field.name in update_fields]
    problem = frozen_change_problem(old, {**old, **_column_values(statement, written)}, _names(model))
    if problem:
        raise ImmutableError(f"statement {stored['number']} {problem}")


class StatementQuerySet(models.QuerySet):
    def delete(self):
        if self.filter(status__in=FROZEN_STATUSES).exists():
            raise ImmutableError("issued statements cannot be deleted")
        return super().delete()

    def update(self, **kwargs):
        """``QuerySet.update`` that checks each frozen row it would change, as ``save`` does;
        an expression (``F()``) cannot be checked before it runs, so it is refused on them."""
        frozen = list(self.filter(status__in=FROZEN_STATUSES).values())
        if frozen:
            fields = {self.model._meta.get_field(name): value for name, value in kwargs.items()}
            fields = {
                field: value.pk if isinstance(value, models.Model) else value
                for field, value in fields.items()
            }
            if any(isinstance(value, Combinable) for value in fields.values()):
                raise ImmutableError("issued statements cannot be changed by an expression")
            names = _names(self.model)
            for row in frozen:
                old = {field.column: row[field.attname] for field in self.model._meta.concrete_fields}
                new = {**old, **{field.column: value for field, value in fields.items()}}
                if problem := frozen_change_problem(old, new, names):
                    raise ImmutableError(f"statement {row['number']} {problem}")
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


class AppendOnlyQuerySet(models.QuerySet):
    """Rows appended, never changed or deleted in bulk (statement events, query messages,
    acknowledgements); on PostgreSQL a trigger on each table refuses UPDATE and DELETE too."""

    def delete(self):
        raise ImmutableError(f"{self.model._meta.verbose_name_plural} cannot be deleted")

    def update(self, **kwargs):
        raise ImmutableError(f"{self.model._meta.verbose_name_plural} cannot change")


class AppendOnlyModel(models.Model):
    """A row saved once and never changed or deleted, one at a time or in bulk
    (:class:`AppendOnlyQuerySet`). Raises ``ImmutableError`` on a second save or a delete."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableError(f"{self._meta.verbose_name_plural} cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError(f"{self._meta.verbose_name_plural} cannot be deleted")


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _allowance_checks() -> str:
    checks = []
    for column, allowance in MUTABLE_COLUMNS.items():
        changed = f"NEW.{column} IS DISTINCT FROM OLD.{column}"
        if allowance.transition is not None:
            before, after = allowance.transition
            checks.append(
                f"  IF {changed} AND NOT (OLD.status = '{before}' AND NEW.status = '{after}') THEN\n"
                f"    RAISE EXCEPTION 'statement % is %: {column} cannot be changed', OLD.number, OLD.status;\n"
                "  END IF;"
            )
        if allowance.while_empty is not None:
            checks.append(
                f"  IF {changed} AND OLD.{allowance.while_empty} <> '' THEN\n"
                f"    RAISE EXCEPTION 'statement % is %: {column} cannot be changed', OLD.number, OLD.status;\n"
                "  END IF;"
            )
    return "\n".join(checks)


def statement_guard_sql() -> str:
    """The PL/pgSQL body of ``billing_statement_guard()``, generated from the lists above.

    Deleting a frozen row is refused; changing one is refused unless the status change is in
    ``ALLOWED_TRANSITIONS``, every column outside ``MUTABLE_COLUMNS`` is unchanged (the row as
    ``jsonb`` less those keys), and each allowed column changes only as its ``Allowance`` says."""
    transitions = "\n     OR ".join(
        f"(OLD.status = '{before}' AND NEW.status IN ({_sql_list(after)}))"
        for before, after in ALLOWED_TRANSITIONS.items()
    )
    mutable = f"ARRAY[{_sql_list(MUTABLE_COLUMNS)}]"
    return f"""
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status IN ({_sql_list(FROZEN_STATUSES)}) THEN
      RAISE EXCEPTION 'statement % is %: it cannot be deleted', OLD.number, OLD.status;
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status NOT IN ({_sql_list(FROZEN_STATUSES)}) THEN
    RETURN NEW;
  END IF;
  IF NOT ({transitions}) THEN
    RAISE EXCEPTION 'statement % cannot go from % to %', OLD.number, OLD.status, NEW.status;
  END IF;
  IF (to_jsonb(NEW) - {mutable}::text[]) IS DISTINCT FROM (to_jsonb(OLD) - {mutable}::text[]) THEN
    RAISE EXCEPTION 'statement % is %: it cannot be changed', OLD.number, OLD.status;
  END IF;
{_allowance_checks()}
  RETURN NEW;
END;
"""


def event_guard_sql() -> str:
    """The PL/pgSQL body of ``billing_statementevent_guard()``: every ``UPDATE`` and ``DELETE``
    of an event is refused (``TRUNCATE`` falls under ``MAINTENANCE_SETTING`` like the rest)."""
    return """
BEGIN
  RAISE EXCEPTION 'statement events are append-only: % refused', TG_OP;
END;
"""


def truncate_guard_sql() -> str:
    """The PL/pgSQL body of ``billing_truncate_guard()``: ``TRUNCATE`` of the statement or line
    table is refused while any document is frozen, unless ``MAINTENANCE_SETTING`` is on in the
    transaction (a deliberate act, never the application's)."""
    return f"""
BEGIN
  IF coalesce(current_setting('{MAINTENANCE_SETTING}', true), '') <> 'on'
     AND EXISTS (SELECT 1 FROM billing_statement WHERE status IN ({_sql_list(FROZEN_STATUSES)})) THEN
    RAISE EXCEPTION 'issued statements and their lines cannot be truncated';
  END IF;
  RETURN NULL;
END;
"""  # noqa: S608 (module constants only, no input)

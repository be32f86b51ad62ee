"""An exact decimal column on every database.

Django's ``DecimalField`` on SQLite goes through NUMERIC affinity, which keeps only 15
significant digits; KPI values such as ``123456789012345.891`` must survive. This field is
``numeric`` (exact, unconstrained) on PostgreSQL and ``text`` on SQLite, and always reads back
a ``Decimal``.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models

from core.databases import is_postgresql


class ExactDecimalField(models.Field):
    description = "An exact decimal of any precision"

    def db_type(self, connection):
        return "numeric" if is_postgresql(connection.alias) else "text"

    def from_db_value(self, value, expression, connection):
        return None if value is None else Decimal(value)

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float):
            raise ValidationError("floats are not accepted: give the number as text")
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValidationError(f"{value!r} is not a number") from None

    def get_prep_value(self, value):
        value = self.to_python(value)
        return None if value is None else str(value)

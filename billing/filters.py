import django_filters
from django.core.validators import RegexValidator

from contracts.models import PERIOD_VALIDATOR

from .models import Statement

CODE_VALIDATOR = RegexValidator(r"^[-a-zA-Z0-9_]+$", "Enter an organisation code: letters, digits, - or _.")


class InvoiceFilter(django_filters.FilterSet):
    # A value that is not a period is a 400 naming the filter, not an empty page.
    period = django_filters.CharFilter(help_text="YYYY-MM", max_length=7, validators=[PERIOD_VALIDATOR])
    # A code is Organisation.code's slug of at most 20: anything else is a 400, not an empty page.
    buyer = django_filters.CharFilter(
        field_name="buyer__code",
        help_text="buyer organisation code",
        max_length=20,
        validators=[CODE_VALIDATOR],
    )
    supplier = django_filters.CharFilter(
        field_name="supplier__code",
        help_text="supplier organisation code",
        max_length=20,
        validators=[CODE_VALIDATOR],
    )
    status = django_filters.ChoiceFilter(choices=[("issued", "issued"), ("paid", "paid"), ("void", "void")])
    document_type = django_filters.ChoiceFilter(choices=Statement.DocumentType.choices)
    # Two date filters rather than django-filter's range, whose form drops a date that does not
    # parse: each is a 400 naming itself.
    issue_date_after = django_filters.DateFilter(
        field_name="issue_date", lookup_expr="gte", help_text="issued on or after (YYYY-MM-DD)"
    )
    issue_date_before = django_filters.DateFilter(
        field_name="issue_date", lookup_expr="lte", help_text="issued on or before (YYYY-MM-DD)"
    )

    class Meta:
        model = Statement
        fields = [
            "period",
            "buyer",
            "supplier",
            "status",
            "document_type",
            "issue_date_after",
            "issue_date_before",
        ]

    def get_form_class(self):
        """The form class, built once: every field here is fixed, none depends on the request
        (django-filter builds a new class for each request otherwise)."""
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = type(self)._form_class = super().get_form_class()
        return form_class

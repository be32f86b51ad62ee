import django_filters

from contracts.models import PERIOD_VALIDATOR

from .models import Statement


class InvoiceFilter(django_filters.FilterSet):
    # A value that is not a period is a 400 naming the filter, not an empty page.
    period = django_filters.CharFilter(help_text="YYYY-MM", max_length=7, validators=[PERIOD_VALIDATOR])
    buyer = django_filters.CharFilter(field_name="buyer__code", help_text="buyer organisation code")
    supplier = django_filters.CharFilter(field_name="supplier__code", help_text="supplier organisation code")
    status = django_filters.ChoiceFilter(choices=[("issued", "issued"), ("paid", "paid"), ("void", "void")])
    document_type = django_filters.ChoiceFilter(choices=Statement.DocumentType.choices)
    issue_date = django_filters.DateFromToRangeFilter(
        help_text="issue_date_after / issue_date_before (YYYY-MM-DD)"
    )

    class Meta:
        model = Statement
        fields = ["period", "buyer", "supplier", "status", "document_type", "issue_date"]

    def get_form_class(self):
        """The form class, built once: every field here is fixed, none depends on the request
        (django-filter builds a new class for each request otherwise)."""
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = type(self)._form_class = super().get_form_class()
        return form_class

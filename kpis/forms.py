import re

from django import forms

from contracts.models import Contract, Kpi

PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
MAX_PAGE = 100_000  # at 100 rows a page, ten million rows of one KPI in one month


class KpiFileForm(forms.Form):
    file = forms.FileField(
        help_text="CSV (UTF-8) or XLSX with columns contract, period or date, kpi, value or "
        "numerator and denominator, and optionally channel and site."
    )
    dry_run = forms.BooleanField(
        required=False, initial=True, label="Dry run: check and preview, write nothing"
    )


class MonthViewForm(forms.Form):
    contract = forms.ModelChoiceField(queryset=Contract.objects.order_by("reference"))
    period = forms.RegexField(regex=PERIOD_RE, max_length=7, help_text="YYYY-MM", required=False)


class KpiCodeField(forms.ModelChoiceField):
    """A catalogued KPI by its code; anything that is not a code is refused before the query
    (a NUL byte would make PostgreSQL refuse the query itself)."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(r"[a-z0-9_]{1,40}", str(value)):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class MonthRowsForm(forms.Form):
    """The drill-down to one KPI's rows of a contract's month, one page at a time."""

    contract = forms.ModelChoiceField(queryset=Contract.objects.order_by("reference"))
    period = forms.RegexField(regex=PERIOD_RE, max_length=7, help_text="YYYY-MM")
    kpi = KpiCodeField(queryset=Kpi.objects.order_by("code"), to_field_name="code", label="KPI")
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)


class KpiReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("accept", "Accept: the figures count and the issued months are corrected"),
            ("reject", "Reject"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to reject: the supplier reads it.",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give the reason the supplier will read.")
        return data

from django import forms

from contracts.models import Contract


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
    period = forms.RegexField(regex=r"^\d{4}-(0[1-9]|1[0-2])$", help_text="YYYY-MM", required=False)

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

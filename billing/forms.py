from django import forms


class RunBillingForm(forms.Form):
    period = forms.RegexField(regex=r"^\d{4}-(0[1-9]|1[0-2])$", help_text="YYYY-MM")
    contract = forms.CharField(
        required=False, help_text="A contract reference; empty for every active contract."
    )


class VoidForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), help_text="Why the statement is void."
    )

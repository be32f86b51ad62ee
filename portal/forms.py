"""The statement list's filters, read from the query string; the TOTP confirmation code."""

import re

from django import forms

from billing.models import Statement

STATUSES = [("", "Any status")] + [
    (value, label) for value, label in Statement.Status.choices if value in ("issued", "paid", "void")
]
DOCUMENT_TYPES = [("", "Any type"), *Statement.DocumentType.choices]


class StatementFilterForm(forms.Form):
    """Period and contract choices are the user's own, so another party's period or contract
    reference is an invalid choice, not a filter."""

    period = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=STATUSES)
    document_type = forms.ChoiceField(required=False, choices=DOCUMENT_TYPES, label="Document type")
    contract = forms.ChoiceField(required=False)

    def __init__(self, *args, periods: list[str], contracts: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [("", "All periods")] + [(p, p) for p in periods]
        self.fields["contract"].choices = [("", "All contracts")] + [(c, c) for c in contracts]

    def filters(self) -> dict[str, str]:
        """The valid, non-empty filters; an invalid one is dropped (and shown as an error)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class TOTPConfirmForm(forms.Form):
    """The six-digit code an authenticator app shows (spaces, as some apps group it, allowed)."""

    token = forms.CharField(
        label="Code from your authenticator app",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not re.fullmatch(r"[0-9]{6}", token):
            raise forms.ValidationError("Enter the six digits your app shows.")
        return token

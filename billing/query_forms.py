"""Forms for queries: the message field both sides write with, procurement's answer and
resolution (with the corrected KPI file an acceptance needs)."""

from django import forms
from django.conf import settings

from .queries import RESOLUTIONS, QueryRefused, query_text
from .query_models import MAX_MESSAGE_CHARS, StatementQuery


class QueryTextField(forms.CharField):
    """A message: stripped, at most 4,000 characters, no control characters (as the services
    check it, so the form's error is the service's words)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Your message")
        # A browser counts a line break as one character, the form as two (CRLF): leave room.
        super().__init__(
            max_length=MAX_MESSAGE_CHARS * 2,
            strip=False,
            widget=forms.Textarea(attrs={"rows": 4, "cols": 80, "maxlength": MAX_MESSAGE_CHARS}),
            **kwargs,
        )

    def clean(self, value):
        value = super().clean(value)
        try:
            return query_text(value)
        except QueryRefused as refused:
            raise forms.ValidationError(str(refused)) from None


class AnswerForm(forms.Form):
    text = QueryTextField(label="Answer (the query stays open)")


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(
        choices=[(value, label) for value, label in StatementQuery.Status.choices if value in RESOLUTIONS],
        widget=forms.RadioSelect,
        help_text="Explained: nothing changes. Accepted: the month is corrected with the KPI file or "
        "the agreed amount below, and its adjustment is reviewed, approved and issued as any other.",
    )
    text = QueryTextField(label="Answer to the supplier")
    kpi_file = forms.FileField(
        required=False,
        label="Corrected KPI file (accepted only)",
        help_text="CSV (UTF-8) or XLSX in the usual KPI file format, holding only this document's "
        "contract and month.",
    )

    agreed_amount = forms.DecimalField(
        required=False,
        max_digits=16,
        decimal_places=4,
        label="Or the amount agreed (accepted only)",
        help_text="In the document's currency, owed to the supplier (negative: owed back); priced as a "
        "line of the month, 'Agreed on query N'.",
    )

    def __init__(self, *args, refusal: str | None = None, **kwargs):
        """``refusal``: why the upload was stopped as it arrived (``core.uploads.upload_refusal``)."""
        super().__init__(*args, **kwargs)
        self.refusal = refusal

    def clean_kpi_file(self):
        upload = self.cleaned_data.get("kpi_file")
        if self.refusal is not None:
            raise forms.ValidationError(self.refusal)
        if upload is not None and upload.size > settings.KPI_FILE_MAX_BYTES:
            raise forms.ValidationError(
                f"the file is {upload.size:,} bytes; at most {settings.KPI_FILE_MAX_BYTES:,} are accepted"
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        resolution, upload = cleaned.get("resolution"), cleaned.get("kpi_file")
        amount = cleaned.get("agreed_amount")
        if self.errors:
            return cleaned
        if resolution == StatementQuery.Status.ACCEPTED and (upload is None) == (amount is None):
            self.add_error(
                "kpi_file",
                "an accepted query needs the corrected KPI file for its month or the amount agreed (one)",
            )
        if resolution == StatementQuery.Status.EXPLAINED and (upload is not None or amount is not None):
            self.add_error(
                "kpi_file", "an explained query changes nothing: leave the file and the amount out"
            )
        return cleaned

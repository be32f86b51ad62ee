"""The portal's forms for queries: raise one (on a line or the whole document), reply."""

from django import forms

from billing.queries import QueryRefused, query_text
from billing.query_models import MAX_MESSAGE_CHARS

WHOLE = "whole"


class QueryTextField(forms.CharField):
    """A message: stripped, at most 4,000 characters, no control characters (as the services
    check it, so the form's error is the service's words)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Your message")
        # A browser counts a line break as one character, the form as two (CRLF): leave room.
        super().__init__(
            max_length=MAX_MESSAGE_CHARS * 2,
            strip=False,
            widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_MESSAGE_CHARS}),
            **kwargs,
        )

    def clean(self, value):
        value = super().clean(value)
        try:
            return query_text(value)
        except QueryRefused as refused:
            raise forms.ValidationError(str(refused)) from None


class RaiseQueryForm(forms.Form):
    """``lines``: the document's lines as (position, label); the subject is one of them or the
    whole document, so a position the document does not have is an invalid choice."""

    subject = forms.ChoiceField(label="What is the query about?")
    text = QueryTextField()

    def __init__(self, *args, lines: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [(WHOLE, "The whole statement")] + [
            (str(position), label) for position, label in lines
        ]

    def line_position(self) -> int | None:
        subject = self.cleaned_data["subject"]
        return None if subject == WHOLE else int(subject)


class ReplyForm(forms.Form):
    text = QueryTextField(label="Reply")

"""The portal's forms for queries: raise one (on a line or the whole document), reply."""

from django import forms

from billing.query_forms import QueryTextField

WHOLE = "whole"


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

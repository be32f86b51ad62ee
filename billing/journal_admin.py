"""The month-close page's journal download: the period's journal as CSV or Excel, of the
documents the user sees (``permissions.visible_statements``: a procurement user its buyer's,
a superuser every buyer's). A bad period or format is a message on the month-close page and
no file."""

from __future__ import annotations

import tempfile

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect

from pricing.period import Period

from .journal import journal_rows, journal_statement_ids
from .journal_files import CONTENT_TYPES, csv_chunks, journal_file_name, json_chunks, xlsx_write
from .month_close_admin import default_period, month_close_url
from .permissions import visible_statements


class JournalForm(forms.Form):
    period = forms.CharField(max_length=7, help_text="YYYY-MM")
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "Excel")])

    def clean_period(self) -> Period:
        try:
            return Period.parse(self.cleaned_data["period"])
        except ValueError:
            raise forms.ValidationError("Enter a period as YYYY-MM.") from None


def journal_download_view(model_admin, request):
    """GET ``?period=YYYY-MM&format=csv|xlsx``: the journal file (``journal-YYYY-MM.csv``)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    form = JournalForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(e)}" for field, e in form.errors.items())
        messages.error(request, f"No journal was made: {errors}")
        period = form.cleaned_data.get("period") or default_period()
        return redirect(month_close_url(period))
    period, file_format = form.cleaned_data["period"], form.cleaned_data["format"]
    ids = journal_statement_ids(statements=visible_statements(request.user), period=period)
    return journal_file_response(statement_ids=ids, period=period, file_format=file_format)


def journal_file_response(*, statement_ids: list[int], period: Period, file_format: str) -> HttpResponse:
    """The journal of ``statement_ids`` as a download: CSV and JSON streamed a row at a time,
    Excel written to a temporary file first (a workbook is written whole). ``file_format`` is
    one of ``journal_files.FORMATS``, checked by the caller."""
    rows = journal_rows(statement_ids)
    name = journal_file_name(str(period), file_format)
    if file_format == "xlsx":
        file = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it, which deletes it)
        xlsx_write(rows=rows, file=file)
        file.seek(0)
        return FileResponse(file, as_attachment=True, filename=name, content_type=CONTENT_TYPES["xlsx"])
    chunks = csv_chunks(rows) if file_format == "csv" else json_chunks(rows, period=str(period))
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[file_format])
    if file_format == "csv":
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

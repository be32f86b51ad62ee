"""The admin's "Simulate terms" page of a contract: a proposed contract file (uploaded, or the
contract's own file edited in place), the months and the what-ifs in; the simulation's table,
its lines and a chart of actual against proposed net out. Nothing is written.

Procurement users see the page of their buyer's contracts only, superusers of every contract;
any other contract, or any other user, is a 404.
"""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import render

from contracts.schema import MAX_FILE_BYTES
from contracts.services import contract_export
from contracts.tenancy import contracts_for_buyer_of
from pricing.whatif import MAX_WHAT_IFS

from .simulation import SimulationError, simulation_from_file
from .simulation_chart import simulation_chart
from .simulation_json import alignment_shown, simulation_json

PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
# Which form field shows a SimulationError of each input.
FORM_FIELDS = {"terms": "terms", "from": "first", "to": "last", "kpi": "what_ifs"}


class SimulationForm(forms.Form):
    upload = forms.FileField(
        required=False,
        label="Proposed contract file",
        help_text="YAML or JSON; used instead of the text below.",
    )
    terms = forms.CharField(
        required=False,
        max_length=MAX_FILE_BYTES,
        label="Or edit the contract file",
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100, "spellcheck": "false"}),
        help_text="Its terms replace the stored ones for the simulation only.",
    )
    first = forms.RegexField(
        regex=PERIOD, required=False, label="From", help_text="YYYY-MM; empty: 12 months up to the last"
    )
    last = forms.RegexField(
        regex=PERIOD, required=False, label="To", help_text="YYYY-MM; empty: the latest with a statement"
    )
    what_ifs = forms.CharField(
        required=False,
        max_length=2000,
        label="What-ifs",
        help_text=f"Up to {MAX_WHAT_IFS}, separated by spaces: csat=+2 contacts_voice=*0.9 service_level=85",
    )

    def clean_upload(self):
        """Refuses an upload over ``MAX_FILE_BYTES`` before anything reads it."""
        upload = self.cleaned_data.get("upload")
        if upload is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"{upload.name}: the file is {upload.size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("upload") and not (cleaned.get("terms") or "").strip() and not self.errors:
            self.add_error("terms", "Upload a proposed contract file or edit the text.")
        return cleaned

    def proposal(self) -> tuple[str, bytes]:
        """The proposal's file name and bytes: the upload's, else the edited text's."""
        upload = self.cleaned_data.get("upload")
        if upload is not None:
            return upload.name, upload.read()
        return "proposal.yaml", self.cleaned_data["terms"].encode("utf-8")


def _showing_upload(request, content: bytes) -> SimulationForm:
    data = request.POST.copy()
    data["terms"] = content.decode("utf-8", errors="replace")
    form = SimulationForm(data)
    form.is_valid()
    return form


def simulation_view(model_admin, request, contract_pk: int):
    """GET: the form, prefilled with the contract's current file. POST: the simulation, or the
    form with each problem on its field."""
    contract = contracts_for_buyer_of(request.user).filter(pk=contract_pk).first()
    if contract is None or not model_admin.has_view_permission(request):
        raise Http404("no such contract")
    if request.method == "POST":
        form = SimulationForm(request.POST, request.FILES)
    else:
        form = SimulationForm(initial={"terms": contract_export(contract=contract)})
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": contract._meta,
        "original": contract,
        "contract": contract,
        "title": f"Simulate terms: {contract.reference}",
        "form": form,
    }
    if request.method == "POST" and form.is_valid():
        file_name, content = form.proposal()
        if form.cleaned_data.get("upload") is not None:
            # The page shows the uploaded file in the text, so that the next run is of it.
            form = _showing_upload(request, content)
            context["form"] = form
        try:
            simulation = simulation_from_file(
                contract=contract,
                file_name=file_name,
                content=content,
                first=form.cleaned_data["first"] or None,
                last=form.cleaned_data["last"] or None,
                what_ifs=form.cleaned_data["what_ifs"].split(),
            )
        except SimulationError as error:
            for message in error.messages:
                form.add_error(FORM_FIELDS.get(error.field), message)
        else:
            document = simulation_json(simulation)
            context.update(
                {
                    "document": document,
                    "chart": simulation_chart(document),
                    "alignment": alignment_shown(document["alignment"]),
                }
            )
    return render(request, "admin/billing/simulation/page.html", context)

"""Admin forms: component parameters are validated by the same rules as the contract file."""

import json

from django import forms
from django.db import transaction

from .checks import Checker
from .components import ComponentValidator
from .models import Component, Contract, Organisation, SelfBillingAgreement
from .selectors import kpi_catalogue
from .services import MAX_FILE_BYTES
from .vat import vat_number_problem
from .yamlio import json_depth_problem, json_number_hooks


class PrettyJSONWidget(forms.Textarea):
    def format_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value
        return json.dumps(value, indent=2, default=str)


class DecimalJSONDecoder(json.JSONDecoder):
    """Numbers typed in the admin keep their exact digits (``16000.50`` is not a float).

    Read like a JSON contract file: exponents, NaN and over-long numbers are kept as text
    for the validator to refuse, and nesting is bounded before the parser recurses.
    """

    def __init__(self, *args, **kwargs):
        for name, hook in json_number_hooks().items():
            kwargs.setdefault(name, hook)
        super().__init__(*args, **kwargs)

    def decode(self, s, *args, **kwargs):
        problem = json_depth_problem(s)
        if problem:
            raise json.JSONDecodeError(problem, s, 0)
        return super().decode(s, *args, **kwargs)


class ComponentForm(forms.ModelForm):
    params = forms.JSONField(
        decoder=DecimalJSONDecoder,
        widget=PrettyJSONWidget(attrs={"rows": 8, "cols": 70, "style": "font-family: monospace"}),
        help_text="The component's parameters as in the contract file (without id and type).",
    )

    class Meta:
        model = Component
        fields = ["position", "component_id", "type", "params"]
        widgets = {
            "params": PrettyJSONWidget(attrs={"rows": 8, "cols": 70, "style": "font-family: monospace"})
        }

    def clean(self):
        cleaned = super().clean()
        type_, params = cleaned.get("type"), cleaned.get("params")
        if type_ and isinstance(params, dict):
            checker = Checker()
            canonical = ComponentValidator(checker, kpi_catalogue()).validate(type_, params, "params")
            if checker.errors:
                self.add_error("params", [str(error) for error in checker.errors])
            else:
                cleaned["params"] = canonical
        elif type_ and params is not None:
            self.add_error("params", "expected a JSON object of the component's parameters")
        return cleaned


class ContractFileUploadForm(forms.Form):
    file = forms.FileField(help_text="A contract file: YAML (.yaml, .yml) or JSON (.json).")

    def clean_file(self):
        """Refuses an upload over ``MAX_FILE_BYTES`` before anything reads it."""
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"{upload.name}: the file is {upload.size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
            )
        return upload


class OrganisationForm(forms.ModelForm):
    """The VAT number is checked for the organisation's country, as in a contract file."""

    class Meta:
        model = Organisation
        fields = ["name", "code", "country", "vat_number", "address", "email"]

    def clean(self):
        cleaned = super().clean()
        problem = vat_number_problem(cleaned.get("country", ""), cleaned.get("vat_number", ""))
        if problem and "vat_number" not in self.errors:
            self.add_error("vat_number", problem)
        return cleaned


class SelfBillingAgreementForm(forms.ModelForm):
    """An agreement covers at least one day of a self-billed contract; the VAT number agreed
    is checked for the supplier's country.

    The contract's row is locked (in the admin's transaction) before the form checks that the
    agreement is not recorded yet, as a contract-file import locks it before recording one:
    an agreement recorded meanwhile by an import or another user is then found and named on
    the form, instead of failing the insert on the database's constraint."""

    class Meta:
        model = SelfBillingAgreement
        fields = ["contract", "start_date", "end_date", "supplier_vat_number"]

    def clean(self):
        cleaned = super().clean()
        contract = cleaned.get("contract") or getattr(self.instance, "contract", None)
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", f"ends ({end}) before it starts ({start})")
        if contract is not None and contract.pk is not None and transaction.get_connection().in_atomic_block:
            list(Contract.objects.select_for_update().filter(pk=contract.pk).values_list("pk", flat=True))
        if contract is not None and not contract.self_billing:
            self.add_error(
                None, f"{contract.reference} is not self-billed: it needs no self-billing agreement"
            )
        if contract is not None and "supplier_vat_number" not in self.errors:
            problem = vat_number_problem(contract.supplier.country, cleaned.get("supplier_vat_number", ""))
            if problem:
                self.add_error("supplier_vat_number", problem)
        return cleaned

"""Admin forms: component parameters are validated by the same rules as the contract file."""

import json

from django import forms
from django.db import transaction
from django.utils.html import format_html, format_html_join

from .checks import Checker
from .components import COMPONENT_TYPES, ComponentValidator
from .index_import import MAX_FILE_BYTES as INDEX_FILE_BYTES
from .models import Component, Contract, Organisation, SelfBillingAgreement
from .payment import compact, payment_details_problems, registration_number_compact
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


# A list parameter is typed one entry per line. Bands are two words, the limit then the value
# (``null`` for the open last band, as in the file), and a price band may have a third, its
# flat fee; a KPI entry is its code then ``key=value`` words with the file's keys, a value that
# is itself a list or mapping (stepped ``bands``, ``round``) written as JSON without spaces.
# A full formset per list would be a nested inline the admin does not offer; a line per entry
# keeps each list on the page it belongs to, with the file's keys.
BAND_LISTS = {
    "bands": ("up_to", "price"),
    "share_bands": ("up_to_percent_of_baseline", "supplier_percent"),
    "pain_bands": ("up_to_percent_of_baseline", "supplier_percent"),
}
BAND_THIRD_WORD = {"bands": "flat_fee"}
KPI_LISTS = ("kpis",)
# A mapping parameter is typed on one line as the file's ``key=value`` words:
# ``period=quarter provisional_percent=80``.
MAPPING_KEYS = ("settlement",)
INTEGER_KEYS = ("earn_back_months",)
MAX_PARAM_CHARS = 10_000  # per field: 50 bands or 20 KPIs fit many times over


class ParamsError(ValueError):
    """A typed line that cannot be read into the file's shape; names the key and the line."""


def params_lines(key: str, value) -> str:
    """One list parameter as the lines its field shows."""
    if key in BAND_LISTS:
        limit, amount = BAND_LISTS[key]
        third = BAND_THIRD_WORD.get(key)
        return "\n".join(
            f"{'null' if b[limit] is None else b[limit]} {b[amount]}"
            + (f" {b[third]}" if third and b.get(third) is not None else "")
            for b in value
        )
    return "\n".join(
        " ".join([str(entry.get("kpi")), *(f"{k}={_word(v)}" for k, v in entry.items() if k != "kpi")])
        for entry in value
    )


def _word(value) -> str:
    """A KPI entry's value as one word: a list or mapping as JSON without spaces."""
    return json.dumps(value, separators=(",", ":")) if isinstance(value, list | dict) else str(value)


def mapping_text(value: dict) -> str:
    """A mapping parameter as the ``key=value`` words its field shows."""
    return " ".join(f"{name}={item}" for name, item in value.items())


def mapping_from_text(key: str, text: str) -> dict:
    """The ``key=value`` words of a mapping parameter as the file's mapping. Raises ``ParamsError``."""
    mapping = {}
    for word in text.split():
        name, sep, value = word.partition("=")
        if not sep or not name or not value:
            raise ParamsError(f"params.{key}: {word!r} is not key=value")
        mapping[name] = value
    return mapping


def params_from_lines(key: str, text: str) -> list:
    """The lines of a list parameter as the file's list of mappings. Raises ``ParamsError``."""
    entries = []
    for number, line in enumerate((line for line in text.splitlines() if line.strip()), start=1):
        words = line.split()
        if key in BAND_LISTS:
            entries.append(_band_from_words(key, words, number))
            continue
        entry = {"kpi": words[0]}
        for word in words[1:]:
            name, sep, value = word.partition("=")
            if not sep or not name or not value:
                raise ParamsError(f"params.{key}: line {number}: {word!r} is not key=value")
            entry[name] = _value_from_word(key, number, name, value)
        entries.append(entry)
    return entries


def _band_from_words(key: str, words: list[str], number: int) -> dict:
    third = BAND_THIRD_WORD.get(key)
    if not (len(words) == 2 or (third and len(words) == 3)):
        extra = f" (and optionally the {third})" if third else ""
        raise ParamsError(
            f"params.{key}: line {number}: give the limit and the value{extra}, e.g. '10000 3.00'"
        )
    limit, amount = BAND_LISTS[key]
    band = {limit: None if words[0] == "null" else words[0], amount: words[1]}
    if len(words) == 3:
        band[third] = words[2]
    return band


def _value_from_word(key: str, number: int, name: str, value: str):
    """A ``key=value`` word's value: text, or a list or mapping written as JSON."""
    if not value.startswith(("[", "{")):
        return value
    try:
        return json.loads(value, cls=DecimalJSONDecoder)
    except json.JSONDecodeError as error:
        raise ParamsError(f"params.{key}: line {number}: {name}= is not valid JSON ({error.msg})") from None


class ParamsWidget(forms.MultiWidget):
    """One labelled input per parameter key of a component type, in canonical order."""

    def __init__(self, keys: tuple[str, ...], attrs=None):
        self.keys = keys
        widgets = {
            key: forms.Textarea(attrs={"rows": 3, "cols": 60})
            if key in BAND_LISTS or key in KPI_LISTS
            else forms.TextInput()
            for key in keys
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        value = value if isinstance(value, dict) else {}
        return [
            ""
            if value.get(key) is None
            else params_lines(key, value[key])
            if isinstance(value[key], list)
            else mapping_text(value[key])
            if isinstance(value[key], dict)
            else str(value[key])
            for key in self.keys
        ]

    def render(self, name, value, attrs=None, renderer=None):
        values = value if isinstance(value, list) else self.decompress(value)
        base_id = (attrs or {}).get("id") or f"id_{name}"
        rows = format_html_join(
            "",
            '<tr><th scope="row"><label for="{}">{}</label></th><td>{}</td></tr>',
            (
                (
                    f"{base_id}_{key}",
                    key,
                    widget.render(f"{name}_{key}", text, {"id": f"{base_id}_{key}"}, renderer),
                )
                for key, widget, text in zip(self.keys, self.widgets, values, strict=True)
            ),
        )
        # One table: the admin lays a field's children out in a row, a table's rows stack.
        return format_html('<table class="component-params"><tbody>{}</tbody></table>', rows)


class TypedParamsField(forms.Field):
    """A component's parameters typed field by field; ``clean`` gives the file's mapping for
    the type's validator (in :class:`ComponentForm`), so the messages are the import's."""

    def __init__(self, keys: tuple[str, ...], **kwargs):
        self.keys = keys
        super().__init__(widget=ParamsWidget(keys), required=False, **kwargs)

    def clean(self, value):
        params = {}
        for key, text in zip(self.keys, value or [""] * len(self.keys), strict=True):
            text = (text or "").strip()
            if len(text) > MAX_PARAM_CHARS:
                raise forms.ValidationError(
                    f"params.{key}: {len(text):,} characters; at most {MAX_PARAM_CHARS:,}"
                )
            if not text:
                continue
            if key in BAND_LISTS or key in KPI_LISTS:
                try:
                    params[key] = params_from_lines(key, text)
                except ParamsError as error:
                    raise forms.ValidationError(str(error)) from None
            elif key in MAPPING_KEYS:
                try:
                    params[key] = mapping_from_text(key, text)
                except ParamsError as error:
                    raise forms.ValidationError(str(error)) from None
            elif key in INTEGER_KEYS and text.isdigit() and len(text) <= 3:
                params[key] = int(text)
            else:
                params[key] = text
        return params


class ComponentForm(forms.ModelForm):
    """A saved component is edited through the fields of its type (its keys in the contract
    file, see :data:`contracts.components.COMPONENT_TYPES`), and so is a new one added from the
    version's *Add a component by its type* page, which asks the type first; a new inline row,
    whose type is not chosen yet when the page is drawn, takes its parameters as JSON. Either way the type's
    validator checks them, with the import's messages naming the key. A saved component's
    type is not changed here: a new type is a new component (remove this one, add that)."""

    params = forms.JSONField(
        decoder=DecimalJSONDecoder,
        widget=PrettyJSONWidget(attrs={"rows": 8, "cols": 70, "style": "font-family: monospace"}),
        help_text="The component's parameters as in the contract file (without id and type).",
    )

    class Meta:
        model = Component
        fields = ["position", "component_id", "type", "params"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A saved component, or a new one whose type was chosen first (the admin's "Add a
        # component" page): its type's fields. A new inline row has no type yet: JSON.
        entry = COMPONENT_TYPES.get(self.instance.type) if self.instance.type else None
        if entry is not None:
            self.fields["type"].disabled = True
            self.fields["params"] = TypedParamsField(
                entry.keys,
                label="Parameters",
                help_text="As in the contract file; a list one entry per line: a band as "
                "'up_to price' ('null' for the last), a KPI as 'code key=value …'.",
            )

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


class ComponentTypeForm(forms.Form):
    """The first step of adding a component: its type, whose fields the second step shows."""

    type = forms.ChoiceField(choices=Component.Type.choices, label="Component type")


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


class IndexFileUploadForm(forms.Form):
    file = forms.FileField(help_text="A CSV file with the header series,period,value (UTF-8).")
    revise = forms.BooleanField(
        required=False,
        help_text="Allow changing values already imported (a revision of a published value): the "
        "months that read them are priced again, issued ones as corrections.",
    )

    def clean_file(self):
        """Refuses an upload over the import's limit before anything reads it."""
        upload = self.cleaned_data["file"]
        if upload.size > INDEX_FILE_BYTES:
            raise forms.ValidationError(
                f"{upload.name}: the file is {upload.size:,} bytes; the limit is {INDEX_FILE_BYTES:,}"
            )
        return upload


PAYMENT_FIELDS = ("iban", "bic", "sort_code", "account_number")


class OrganisationForm(forms.ModelForm):
    """The VAT number is checked for the organisation's country, and the payment details and
    company number by ``contracts.payment``, as in a contract file; they are kept compact."""

    # Wider than the columns: written with spaces or hyphens (``12-34-56``) they are compacted
    # by ``clean`` before the model checks them.
    iban = forms.CharField(label="IBAN", max_length=50, required=False)
    bic = forms.CharField(label="BIC", max_length=20, required=False)
    sort_code = forms.CharField(max_length=12, required=False, help_text="UK sort code, 6 digits.")
    account_number = forms.CharField(max_length=12, required=False, help_text="UK account number, 8 digits.")
    registration_number = forms.CharField(
        label="Company registration number",
        max_length=30,
        required=False,
        help_text="UK: 8 letters or digits (Companies House); elsewhere up to 20.",
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "code",
            "country",
            "vat_number",
            "address",
            "email",
            *PAYMENT_FIELDS,
            "registration_number",
            "remittance_email",
        ]

    def clean(self):
        cleaned = super().clean()
        problem = vat_number_problem(cleaned.get("country", ""), cleaned.get("vat_number", ""))
        if problem and "vat_number" not in self.errors:
            self.add_error("vat_number", problem)
        details = {name: cleaned.get(name, "") for name in (*PAYMENT_FIELDS, "registration_number")}
        problems = payment_details_problems(country=cleaned.get("country", ""), **details)
        for name, message in problems.items():
            if name not in self.errors:
                self.add_error(name, message)
        # Compact whether or not they are valid: the model's checks then see the kept form.
        for name in PAYMENT_FIELDS:
            cleaned[name] = compact(cleaned.get(name))
        cleaned["registration_number"] = registration_number_compact(cleaned.get("registration_number"))
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

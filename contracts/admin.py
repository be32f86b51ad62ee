"""Procurement's admin: organisations, contracts with their terms versions and components, the
record of contract-file imports, the KPI catalogue."""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from .components import Wording, component_rate_card
from .forms import (
    ComponentForm,
    ComponentTypeForm,
    ContractFileUploadForm,
    OrganisationForm,
    SelfBillingAgreementForm,
)
from .indexation import indexation_rate_card
from .models import (
    Component,
    Contract,
    ContractImport,
    Kpi,
    Membership,
    Organisation,
    SelfBillingAgreement,
    TermsVersion,
)
from .schema import ContractFileError, validate_contract
from .selectors import COMPONENT_HISTORY_LIMIT, component_history, contract_wording, kpi_catalogue
from .services import FROZEN_STATUSES, MAX_FILE_BYTES, contract_export, contract_import_content
from .tenancy import (
    EVERYTHING,
    BuyerScopedAdminMixin,
    buyer_scope,
    contracts_for_buyer_of,
    organisations_for_buyer_of,
)
from .yamlio import DocumentError, parse_document


class HistoryAdmin(SimpleHistoryAdmin):
    """The History page of an object: every change with its author, time and the fields it
    changed (django-simple-history), shown only for an object the admin's scoped queryset
    holds, so another buyer's object's history is a 404 like its change page. History is
    read, never reverted from: a change goes through the contract file or the change form,
    which validate it."""

    def _in_scope(self, request, object_id) -> bool:
        try:
            pk = self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            return False  # not an id at all: a 404, for a superuser too
        if request.user.is_active and request.user.is_superuser:
            return True  # including the history of a deleted object
        return self.get_queryset(request).filter(pk=pk).exists()

    def history_view(self, request, object_id, extra_context=None):
        if not self._in_scope(request, object_id):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not self._in_scope(request, object_id):
            raise Http404
        if request.method != "GET":
            raise PermissionDenied  # no revert: see the class docstring
        # A past version is read, every field as text: it is a record, not a form to submit.
        request.history_record = self.model.history.filter(pk=version_id).first()
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        if getattr(request, "history_record", None) is not None:
            return [field.name for field in self.model._meta.fields]
        return super().get_readonly_fields(request, obj)

    def history_form_view_title(self, request, obj):
        record = getattr(request, "history_record", None)
        if record is None:
            return super().history_form_view_title(request, obj)
        who = record.history_user.username if record.history_user else "no user named"
        return f"{obj} as it stood after the change of {record.history_date:%Y-%m-%d %H:%M} ({who})"

    def revert_disabled(self, request, obj=None):
        return True


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the application alone (a migration, an import): read in the admin,
    never added, changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(BuyerScopedAdminMixin, HistoryAdmin):
    """A procurement user sees its buyer, the buyer's suppliers and organisations that are
    nobody's yet, and may add a new supplier (see ``organisations_for_buyer_of``). The VAT
    number is checked for the country (``contracts.vat``), the payment details and company
    number by ``contracts.payment``."""

    form = OrganisationForm
    fieldsets = [
        (None, {"fields": ["name", "code", "country", "vat_number", "address", "email"]}),
        (
            "Payment details",
            {
                "fields": [
                    "iban",
                    "bic",
                    "sort_code",
                    "account_number",
                    "registration_number",
                    "remittance_email",
                ],
                "description": "Printed on the invoices this organisation is paid by: an IBAN (and BIC) "
                "or a UK sort code and account number.",
            },
        ),
    ]
    list_display = ["name", "code", "country", "vat_number"]
    list_filter = ["country"]
    search_fields = ["name", "code", "vat_number"]

    def scope_queryset(self, request, queryset):
        return organisations_for_buyer_of(request.user, queryset)


class ActiveFilter(admin.SimpleListFilter):
    title = "active today"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", "Active"), ("no", "Ended or not started")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        active = Q(start_date__lte=today) & (Q(end_date__isnull=True) | Q(end_date__gte=today))
        if self.value() == "yes":
            return queryset.filter(active)
        if self.value() == "no":
            return queryset.exclude(active)
        return queryset


def rate_card_html(version: TermsVersion, wording: Wording):
    """The version's components in words, one block per component in the contract's order."""
    components = sorted(version.components.all(), key=lambda c: (c.position, c.pk))
    if not components:
        return "— (no components)"
    indexed = ""
    if version.indexation is not None:
        indexed = format_html(
            '<tr><th scope="row"><strong>indexation</strong></th><td>{}</td></tr>',
            format_html_join(
                "", "<div>{}</div>", ((line,) for line in indexation_rate_card(version.indexation))
            ),
        )
    rows = format_html_join(
        "",
        '<tr><th scope="row"><strong>{}</strong><br><span class="quiet">{}</span></th><td>{}</td></tr>',
        (
            (
                component.component_id,
                component.get_type_display(),
                format_html_join(
                    "",
                    "<div>{}</div>",
                    (
                        (line,)
                        for line in component_rate_card(
                            type_=component.type, params=component.params, wording=wording
                        )
                    ),
                ),
            )
            for component in components
        ),
    )
    return format_html('<table class="rate-card"><tbody>{}{}</tbody></table>', indexed, rows)


class TermsVersionInline(BuyerScopedAdminMixin, admin.TabularInline):
    """A contract's versions, each with its rate card in words; components are edited on the
    version's own page."""

    model = TermsVersion
    buyer_path = "contract__buyer_id"
    extra = 0
    fields = ["effective_from", "components_summary", "edit_link"]
    readonly_fields = ["components_summary", "edit_link"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("components")

    @admin.display(description="rate card")
    def components_summary(self, version):
        if not version.pk:
            return "—"
        return rate_card_html(version, contract_wording(version.contract))

    @admin.display(description="")
    def edit_link(self, version):
        if not version.pk:
            return ""
        page = reverse("admin:contracts_termsversion_change", args=[version.pk])
        return format_html(
            '<a href="{}">Edit components</a><br><a href="{}#incentive-alignment">Incentive alignment</a>',
            page,
            page,
        )


class SelfBillingAgreementInline(BuyerScopedAdminMixin, admin.TabularInline):
    """The register of self-billing agreements with the supplier; an agreement recorded is
    kept as it is (a new one replaces it)."""

    model = SelfBillingAgreement
    form = SelfBillingAgreementForm
    buyer_path = "contract__buyer_id"
    extra = 0
    fields = ["start_date", "end_date", "supplier_vat_number", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


EXPIRY_WINDOW_DAYS = 60


class ExpiringFilter(admin.SimpleListFilter):
    title = "expiry"
    parameter_name = "expiring"

    def lookups(self, request, model_admin):
        return [("60", f"Expiring within {EXPIRY_WINDOW_DAYS} days"), ("expired", "Expired")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "60":
            return queryset.filter(
                end_date__gte=today, end_date__lte=today + timedelta(days=EXPIRY_WINDOW_DAYS)
            )
        if self.value() == "expired":
            return queryset.filter(end_date__lt=today)
        return queryset


@admin.register(SelfBillingAgreement)
class SelfBillingAgreementAdmin(BuyerScopedAdminMixin, admin.ModelAdmin):
    """The register of self-billing agreements of the buyer's contracts. An agreement is
    recorded, never edited or deleted: a new agreement (a new period, a new VAT number)
    replaces it for the days it covers."""

    form = SelfBillingAgreementForm
    buyer_path = "contract__buyer_id"
    list_display = ["contract", "start_date", "end_date", "supplier_vat_number", "recorded_by", "recorded_at"]
    list_filter = [ExpiringFilter, ("contract__supplier", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["contract__reference", "supplier_vat_number"]
    list_select_related = ["contract", "recorded_by"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "contract":
            kwargs["queryset"] = contracts_for_buyer_of(request.user).filter(self_billing=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Contract)
class ContractAdmin(BuyerScopedAdminMixin, HistoryAdmin):
    list_display = [
        "reference",
        "title",
        "buyer",
        "supplier",
        "currency",
        "start_date",
        "end_date",
        "self_billing",
    ]
    # Related-only filters list the organisations of the rows shown, never another buyer's.
    list_filter = [
        ActiveFilter,
        ("buyer", admin.RelatedOnlyFieldListFilter),
        ("supplier", admin.RelatedOnlyFieldListFilter),
        "currency",
        "self_billing",
    ]
    search_fields = ["reference", "title", "buyer__name", "supplier__name"]
    list_select_related = ["buyer", "supplier"]
    autocomplete_fields = ["buyer", "supplier"]
    inlines = [TermsVersionInline, SelfBillingAgreementInline]
    actions = ["export_files"]
    change_list_template = "admin/contracts/contract/change_list.html"

    def get_urls(self):
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name="contracts_contract_import"),
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_view),
                name="contracts_contract_export",
            ),
        ]
        return extra + super().get_urls()

    def save_formset(self, request, form, formset, change):
        if formset.model is SelfBillingAgreement:
            for agreement in formset.save(commit=False):
                agreement.recorded_by = request.user
                agreement.save()
            return
        super().save_formset(request, form, formset, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = buyer_scope(request.user)
        if db_field.name == "buyer" and scope is not EVERYTHING:
            # A procurement user writes contracts for its own buyer only.
            kwargs["queryset"] = (
                Organisation.objects.filter(pk=scope) if scope else Organisation.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(description="Export the selected contracts as contract files")
    def export_files(self, request, queryset):
        text = "---\n".join(contract_export(contract=contract) for contract in queryset.order_by("reference"))
        response = HttpResponse(text, content_type="application/yaml")
        response["Content-Disposition"] = 'attachment; filename="contracts.yaml"'
        return response

    def export_view(self, request, pk):
        contract = self.get_object(request, str(pk))
        if contract is None or not self.has_view_permission(request, contract):
            return redirect("admin:contracts_contract_changelist")
        response = HttpResponse(contract_export(contract=contract), content_type="application/yaml")
        response["Content-Disposition"] = f'attachment; filename="{contract.reference}.yaml"'
        return response

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return redirect("admin:contracts_contract_changelist")
        form = ContractFileUploadForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            try:
                errors = contract_file_outside_scope(request.user, file_name=upload.name, content=content)
                if not errors:
                    result = contract_import_content(
                        file_name=upload.name, content=content, user=request.user
                    )
            except ContractFileError as error:
                errors = error.lines()
            else:
                if not errors:
                    messages.success(
                        request, f"{result.reference}: {result.status}. {'; '.join(result.changes)}"
                    )
                    return redirect("admin:contracts_contract_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "errors": errors,
            "opts": self.model._meta,
            "title": "Import a contract file",
        }
        return render(request, "admin/contracts/contract/import.html", context)


def contract_file_outside_scope(user, *, file_name: str, content: bytes) -> list[str]:
    """Why ``user`` may not import this contract file, as lines naming the file and the key;
    empty when it may (always for a superuser). A procurement user imports contracts of its
    own buyer only: the file's buyer must be that buyer, an existing contract of the same
    reference must be that buyer's, and an existing supplier must be one it sees, since the
    import updates both parties' details. Raises ``ContractFileError`` for a file that does
    not parse or validate, as the import would."""
    scope = buyer_scope(user)
    if scope is EVERYTHING:
        return []
    if scope is None:
        return [f"{file_name}: your account does not act for a buyer as procurement"]
    if len(content) > MAX_FILE_BYTES:
        return []  # the import refuses it with its own message
    try:
        document = parse_document(content.decode("utf-8-sig"), file_name=file_name)
    except (UnicodeDecodeError, DocumentError):
        return []  # likewise
    spec = validate_contract(document, file_name=file_name, catalogue=kpi_catalogue())
    buyer = Organisation.objects.get(pk=scope)
    problems = []
    if spec.buyer.name != buyer.name:
        problems.append(f"{file_name}: buyer.name: must be your organisation, {buyer.name}")
    existing = Contract.objects.filter(reference=spec.reference).first()
    if existing is not None and not contracts_for_buyer_of(user).filter(pk=existing.pk).exists():
        problems.append(
            f"{file_name}: reference: {spec.reference} is already used by another buyer's contract"
        )
    supplier = Organisation.objects.filter(name=spec.supplier.name).first()
    if supplier is not None and not organisations_for_buyer_of(user).filter(pk=supplier.pk).exists():
        problems.append(
            f"{file_name}: supplier.name: {spec.supplier.name} cannot be used by your organisation"
        )
    return problems


class ComponentInline(admin.StackedInline):
    model = Component
    form = ComponentForm
    extra = 0
    ordering = ["position", "id"]


@admin.register(TermsVersion)
class TermsVersionAdmin(BuyerScopedAdminMixin, HistoryAdmin):
    """A version's History page lists its components' changes too (they are edited on this
    page and by contract files): who, when, and each field or parameter before and after."""

    buyer_path = "contract__buyer_id"
    object_history_template = "admin/contracts/termsversion/object_history.html"
    list_display = ["contract", "effective_from", "frozen"]
    list_filter = [
        ("contract__buyer", admin.RelatedOnlyFieldListFilter),
        ("contract__supplier", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["contract__reference", "effective_from"]
    list_select_related = ["contract"]
    inlines = [ComponentInline]
    fieldsets = [
        (None, {"fields": ["contract", "effective_from"]}),
        ("Rate card", {"fields": ["rate_card"], "description": "The components below, in words."}),
    ]
    readonly_fields = ["rate_card"]

    @admin.display(description="terms in words")
    def rate_card(self, version):
        if version is None or not version.pk:
            return "— (shown once the version is saved)"
        return rate_card_html(version, contract_wording(version.contract))

    @admin.display(boolean=True, description="priced an issued statement")
    def frozen(self, version):
        return version.statements.filter(status__in=FROZEN_STATUSES).exists()

    def _frozen(self, obj):
        return obj is not None and self.frozen(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._frozen(obj)

    def get_urls(self):
        extra = [
            path(
                "<int:object_id>/add-component/",
                self.admin_site.admin_view(self.add_component_view),
                name="contracts_termsversion_add_component",
            )
        ]
        return extra + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, unquote(object_id))
        can_add = version is not None and self.has_change_permission(request, version)
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "can_add_component": can_add}
        )

    def add_component_view(self, request, object_id: int):
        """Add a component through its type's own fields: the type first, then the form of
        that type (the contract file's keys, checked by the file's validator with its messages).
        Another buyer's version is a 404; a version that priced an issued statement is refused."""
        version = self.get_queryset(request).filter(pk=object_id).first()
        if version is None:
            raise Http404("No such terms version.")
        if not self.has_change_permission(request, version):
            messages.error(request, f"{version} priced an issued statement: add a new version instead.")
            return redirect("admin:contracts_termsversion_change", version.pk)
        chosen = ComponentTypeForm(request.GET if "type" in request.GET else None)
        form = None
        if chosen.is_valid():
            position = max(version.components.values_list("position", flat=True), default=-1) + 1
            instance = Component(version=version, type=chosen.cleaned_data["type"], position=position)
            form = ComponentForm(request.POST or None, instance=instance, initial={"position": position})
            if request.method == "POST" and form.is_valid():
                taken = version.components.filter(component_id=form.cleaned_data["component_id"])
                if taken.exists():
                    form.add_error("component_id", "this version already has a component with this id")
            if request.method == "POST" and form.is_valid():
                component = form.save()
                self.log_change(request, version, f"Added component {component.component_id}")
                messages.success(request, f"Component {component} added to {version}.")
                return redirect("admin:contracts_termsversion_change", version.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Add a component to {version}",
            "version": version,
            "type_form": chosen if form is None else None,
            "form": form,
        }
        return render(request, "admin/contracts/termsversion/add_component.html", context)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (
            obj is not None and obj.statements.exists()
        )

    def history_view(self, request, object_id, extra_context=None):
        if not self._in_scope(request, object_id):
            raise Http404
        version = TermsVersion.objects.filter(pk=unquote(object_id)).first()  # an id: _in_scope
        changes, truncated = component_history(version=version) if version else ([], False)
        context = {
            "component_changes": changes,
            "component_changes_truncated": truncated,
            "component_history_limit": COMPONENT_HISTORY_LIMIT,
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, context)


@admin.register(ContractImport)
class ContractImportAdmin(BuyerScopedAdminMixin, ReadOnlyAdmin):
    """The record of contract-file imports of the buyer's contracts: read, never added,
    changed or deleted by hand (an import writes its own record)."""

    buyer_path = "contract__buyer_id"
    list_display = ["imported_at", "reference", "status", "short_sha256", "imported_by", "file_name"]
    list_filter = ["status"]
    search_fields = ["reference", "sha256"]
    list_select_related = ["imported_by"]
    fields = [
        "imported_at",
        "contract",
        "reference",
        "status",
        "file_name",
        "sha256",
        "imported_by",
        "changes_list",
    ]
    readonly_fields = fields

    @admin.display(description="SHA-256")
    def short_sha256(self, record):
        return record.sha256[:12]

    @admin.display(description="changes")
    def changes_list(self, record):
        if not record.changes:
            return "— (the file changed nothing)"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((c,) for c in record.changes)))


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    """Who acts for which organisation decides what everyone sees, so only superusers manage
    memberships here (``manage.py set_user`` is the other way in)."""

    list_display = ["user", "organisation", "role"]
    list_filter = ["role", "organisation"]
    search_fields = ["user__username", "user__email", "organisation__name"]
    autocomplete_fields = ["organisation"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_add_permission = has_module_permission

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_delete_permission = has_change_permission


@admin.register(Kpi)
class KpiAdmin(ReadOnlyAdmin):
    """The KPI catalogue is seeded by a migration and contract files refer to its codes: it is
    read, never edited by hand."""

    list_display = [
        "code",
        "name",
        "source",
        "unit",
        "direction",
        "aggregation",
        "scale",
        "min_value",
        "max_value",
    ]
    list_filter = ["source", "unit", "direction", "aggregation"]
    search_fields = ["code", "name"]


from . import index_admin  # noqa: E402, F401  (registers the index series and values)

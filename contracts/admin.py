"""Procurement's admin: organisations, contracts with their terms versions and components."""

from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from .forms import ComponentForm, ContractFileUploadForm
from .models import Component, Contract, Membership, Organisation, TermsVersion
from .schema import ContractFileError
from .services import FROZEN_STATUSES, contract_export, contract_import_content


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "country", "vat_number"]
    list_filter = ["country"]
    search_fields = ["name", "code", "vat_number"]


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


class TermsVersionInline(admin.TabularInline):
    model = TermsVersion
    extra = 0
    fields = ["effective_from", "components_summary", "edit_link"]
    readonly_fields = ["components_summary", "edit_link"]

    @admin.display(description="components")
    def components_summary(self, version):
        return ", ".join(f"{c.component_id} ({c.type})" for c in version.components.all()) or "—"

    @admin.display(description="")
    def edit_link(self, version):
        if not version.pk:
            return ""
        return format_html(
            '<a href="{}">Edit components</a>',
            reverse("admin:contracts_termsversion_change", args=[version.pk]),
        )


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
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
    list_filter = [ActiveFilter, "buyer", "supplier", "currency", "self_billing"]
    search_fields = ["reference", "title", "buyer__name", "supplier__name"]
    list_select_related = ["buyer", "supplier"]
    autocomplete_fields = ["buyer", "supplier"]
    inlines = [TermsVersionInline]
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
            try:
                result = contract_import_content(file_name=upload.name, content=upload.read())
            except ContractFileError as error:
                errors = error.lines()
            else:
                messages.success(request, f"{result.reference}: {result.status}. {'; '.join(result.changes)}")
                return redirect("admin:contracts_contract_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "errors": errors,
            "opts": self.model._meta,
            "title": "Import a contract file",
        }
        return render(request, "admin/contracts/contract/import.html", context)


class ComponentInline(admin.StackedInline):
    model = Component
    form = ComponentForm
    extra = 0
    ordering = ["position", "id"]


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    list_display = ["contract", "effective_from", "frozen"]
    list_filter = ["contract__buyer", "contract__supplier"]
    search_fields = ["contract__reference", "effective_from"]
    list_select_related = ["contract"]
    inlines = [ComponentInline]

    @admin.display(boolean=True, description="priced an issued statement")
    def frozen(self, version):
        return version.statements.filter(status__in=FROZEN_STATUSES).exists()

    def _frozen(self, obj):
        return obj is not None and self.frozen(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (
            obj is not None and obj.statements.exists()
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role", "organisation"]
    search_fields = ["user__username", "user__email", "organisation__name"]
    autocomplete_fields = ["organisation"]

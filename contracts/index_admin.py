"""The index series and their values in the admin, with the import form of ``import_index``.

Series and values are public reference data shared by every buyer's contracts: procurement
users (of any buyer) and superusers read them. Importing values, like adding or changing a
series, is for superusers only (the platform's operator, as on the command line): a value
re-prices the months of every buyer whose contracts read it, so one buyer's user never writes it.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path

from .admin import ReadOnlyAdmin
from .forms import IndexFileUploadForm
from .index_import import IndexFileError, index_values_import
from .models import IndexSeries, IndexValue
from .tenancy import procurement_buyer_id


def reads_indices(user) -> bool:
    """An active superuser, or a user acting for a buyer as procurement."""
    return bool(user.is_active and (user.is_superuser or procurement_buyer_id(user) is not None))


def writes_indices(user) -> bool:
    return bool(user.is_active and user.is_superuser)


class IndexReaderMixin:
    def has_module_permission(self, request):
        return reads_indices(request.user)

    def has_view_permission(self, request, obj=None):
        return reads_indices(request.user)


@admin.register(IndexSeries)
class IndexSeriesAdmin(IndexReaderMixin, admin.ModelAdmin):
    list_display = ["code", "name", "publisher", "unit", "latest_month"]
    search_fields = ["code", "name"]
    change_list_template = "admin/contracts/indexseries/change_list.html"

    def has_add_permission(self, request):
        return writes_indices(request.user)

    def has_change_permission(self, request, obj=None):
        return writes_indices(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # values and the contracts that name it depend on it

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []  # contract files name it by its code

    @admin.display(description="latest month")
    def latest_month(self, series):
        latest = series.values.order_by("-period").values_list("period", flat=True).first()
        return latest or "—"

    def get_urls(self):
        extra = [
            path(
                "import/", self.admin_site.admin_view(self.import_view), name="contracts_indexseries_import"
            ),
        ]
        return extra + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = {"can_import": writes_indices(request.user), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def import_view(self, request):
        if not writes_indices(request.user):
            raise PermissionDenied
        form = IndexFileUploadForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = index_values_import(
                    file_name=upload.name,
                    content=upload.read(),
                    revise=form.cleaned_data["revise"],
                    user=request.user,
                )
            except IndexFileError as error:
                errors = error.lines()
            else:
                added = sum(len(months) for months in result.added.values())
                revised = [f"{code} {m}" for code, months in result.revised.items() for m in months]
                messages.success(
                    request,
                    f"{upload.name}: {added} month(s) added, {len(revised)} revised"
                    f"{' (' + ', '.join(revised) + ')' if revised else ''}, {result.unchanged} unchanged. "
                    "Months that read a new or revised value are being priced again.",
                )
                return redirect("admin:contracts_indexseries_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "errors": errors,
            "opts": self.model._meta,
            "title": "Import index values",
        }
        return render(request, "admin/contracts/indexseries/import.html", context)


@admin.register(IndexValue)
class IndexValueAdmin(IndexReaderMixin, ReadOnlyAdmin):
    """Values come from an import only; a revision is an import with "revise" ticked, kept in
    the value's history."""

    list_display = ["series", "period", "value", "imported_at"]
    list_filter = ["series"]
    search_fields = ["series__code", "period"]
    list_select_related = ["series"]

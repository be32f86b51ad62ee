from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, register_converter, reverse_lazy
from django.views.generic import RedirectView

from billing.api_urls import DocumentNumberConverter

from . import notification_views, query_views, value_views, views

# A malformed number (a NUL byte, a slash, thousands of characters) matches no route: a 404.
register_converter(DocumentNumberConverter, "document_number")
# ``contract_reference`` is registered by billing.api_urls, imported above.

app_name = "portal"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:statement-list"), name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        views.ThrottledPasswordResetView.as_view(),
        name="password-reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("portal:password-reset-complete")
        ),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("mfa/enrol/", views.staff_mfa_enrol, name="mfa-enrol"),
    path("statements/", views.statement_list, name="statement-list"),
    path("statements/export.csv", views.statement_export_csv, name="statement-export-csv"),
    path("statements/export.xlsx", views.statement_export_xlsx, name="statement-export-xlsx"),
    path("statements/export.zip", views.statement_export_zip, name="statement-export-zip"),
    path("statements/<document_number:number>/", views.statement_detail, name="statement-detail"),
    path("statements/<document_number:number>/pdf/", views.statement_pdf, name="statement-pdf"),
    path("statements/<document_number:number>/terms/", views.statement_terms, name="statement-terms"),
    path(
        "statements/<document_number:number>/lines/<int:line_number>/",
        views.statement_line,
        name="statement-line",
    ),
    path(
        "statements/<document_number:number>/queries/",
        query_views.statement_query_raise_view,
        name="statement-query-raise",
    ),
    path(
        "statements/<document_number:number>/queries/<int:query_id>/reply/",
        query_views.statement_query_reply_view,
        name="statement-query-reply",
    ),
    path(
        "statements/<document_number:number>/acknowledge/",
        query_views.statement_acknowledge_view,
        name="statement-acknowledge",
    ),
    path("kpi-submissions/", views.kpi_submissions, name="kpi-submissions"),
    path("value/", value_views.contract_value_list, name="contract-value-list"),
    path("value/<contract_reference:reference>/", value_views.contract_value, name="contract-value"),
    path("notifications/", notification_views.notification_preferences_page, name="notifications"),
    # Procurement's "see as the supplier": behind the admin's login (and MFA), read-only.
    path(
        "preview/statements/<int:statement_id>/",
        admin.site.admin_view(views.procurement_preview),
        name="procurement-preview",
    ),
]

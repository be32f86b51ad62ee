"""The site's routes: the admin, the finance API with its docs, and the supplier portal.

Stored files (statement PDFs in the ``documents`` storage: ``MEDIA_ROOT`` or a bucket) have no
route of their own, with DEBUG on or off: they are served only by the portal and API views
that check who may see them.
"""

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.views import defaults
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView


class StaffAdminSite(OTPAdminSite):
    """The admin, with every registered ModelAdmin. With ``REQUIRE_STAFF_MFA`` on, its login
    asks for a TOTP token and only a session verified by a confirmed device is let in (staff
    without a device enrol at ``/mfa/enrol/``); with it off, it is Django's admin unchanged.
    The setting is read on each request, so tests can switch it with ``override_settings``."""

    @property
    def login_form(self):
        return OTPAdminAuthenticationForm if settings.REQUIRE_STAFF_MFA else None

    @property
    def login_template(self):
        return "registration/admin_login_mfa.html" if settings.REQUIRE_STAFF_MFA else None

    def has_permission(self, request):
        if settings.REQUIRE_STAFF_MFA:
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)


# The default site keeps its name ("admin") and its registry; only its behaviour changes.
admin.site.__class__ = StaffAdminSite

# Swagger UI and ReDoc set inline styles at run time (React, styled-components) and ReDoc
# searches in a worker it starts from a blob; scripts stay our own files.
DOCS_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}

api_v1 = [
    path("", include("kpis.api_urls")),
    path("", include("billing.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so no inline script is needed.
    path(
        "docs/", csp_update(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"
    ),
    path(
        "redoc/",
        csp_update(DOCS_CSP)(
            SpectacularRedocView.as_view(url_name="schema", template_name="api_docs/redoc.html")
        ),
        name="api-redoc",
    ),
]


def no_favicon(request):
    """Browsers ask for /favicon.ico on every site; there is none, and a 404 would be logged."""
    return HttpResponse(status=204)


urlpatterns = [
    path("favicon.ico", no_favicon),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("portal.urls")),
]


def not_found(request, exception):
    """A 404 in the API's JSON shape under ``/api/`` (for example a document number that is not
    one, which no route matches), Django's 404 page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


handler404 = not_found

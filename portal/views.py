"""Supplier portal pages: thin views over :mod:`portal.selectors`, the throttled password
reset, and the staff's TOTP enrolment."""

import base64
import decimal
import hashlib
import logging
import tempfile
from functools import wraps
from urllib.parse import urlencode

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from billing.models import Statement
from billing.pdf import statement_pdf_store
from billing.rendering import RenderError
from contracts.tenancy import for_buyer_of
from kpis.access import batches_submitted_for

from . import drilldown, exports, selectors
from .forms import StatementFilterForm, TOTPConfirmForm
from .queries import queried_ids

logger = logging.getLogger(__name__)


def supplier_required(view):
    """Signed-in supplier users only: others are sent to log in, or shown a 403 page that
    depends on nothing but their own account (so it reveals no document)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not selectors.portal_access(request.user):
            return render(request, "portal/denied.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _statement_or_404(request, number: str):
    statement = selectors.statement_for_user(user=request.user, number=number)
    if statement is None:
        raise Http404("No such statement")
    return statement


@require_GET
@supplier_required
def statement_list(request):
    form = StatementFilterForm(request.GET or None, **selectors.statement_filter_choices(user=request.user))
    statements = selectors.statement_list(user=request.user, **form.filters())
    page = Paginator(statements.values_list("pk", flat=True), selectors.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = selectors.statement_documents(list(page.object_list))
    context = {
        "form": form,
        "page": page,
        "queried": queried_ids([document.id for document in page.object_list]),
        "balances": selectors.statement_balances(statements=statements, today=timezone.localdate()),
        "today": timezone.localdate(),
        # The exports carry the filters the list applies (an unrecognised one is not applied).
        "export_query": urlencode(form.filters()),
        "zip_max": settings.PORTAL_ZIP_MAX_DOCUMENTS,
    }
    return render(request, "portal/statement_list.html", context)


def _export_refused(request, form, message: str, status: int = 400):
    """A page saying why the export was not made (400 unless told), linking back to the list
    with its filters."""
    query = urlencode(form.filters()) if form.is_bound else ""
    return render(request, "portal/export_refused.html", {"message": message, "query": query}, status=status)


def _exported(request, *, limit: int, what: str):
    """The ids of the filtered list's documents, in the list's order, or the refusal page: for
    a filter the list does not recognise (an export never silently widens to every document)
    or for more than ``limit`` documents."""
    form = StatementFilterForm(request.GET or None, **selectors.statement_filter_choices(user=request.user))
    if form.is_bound and not form.is_valid():
        return None, _export_refused(
            request, form, "Some filters were not recognised, so nothing was exported."
        )
    ids = list(
        selectors.statement_list(user=request.user, **form.filters()).values_list("pk", flat=True)[
            : limit + 1
        ]
    )
    if len(ids) > limit:
        return None, _export_refused(
            request,
            form,
            f"These filters select more than {limit:,} documents, more than one {what} holds. "
            "Narrow them (by period or contract, for example) and download each part.",
        )
    return ids, None


@require_GET
@supplier_required
def statement_export_csv(request):
    """The filtered list as CSV (:mod:`portal.exports`), streamed; at most
    ``PORTAL_EXPORT_MAX_DOCUMENTS`` documents."""
    ids, refused = _exported(request, limit=settings.PORTAL_EXPORT_MAX_DOCUMENTS, what="file")
    if refused:
        return refused
    response = StreamingHttpResponse(exports.csv_chunks(ids), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="statements.csv"'
    return response


@require_GET
@supplier_required
def statement_export_xlsx(request):
    """The filtered list as an Excel workbook, written to a temporary file; at most
    ``PORTAL_EXPORT_MAX_DOCUMENTS`` documents."""
    ids, refused = _exported(request, limit=settings.PORTAL_EXPORT_MAX_DOCUMENTS, what="file")
    if refused:
        return refused
    file = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it, which deletes it)
    exports.xlsx_write(statement_ids=ids, file=file)
    file.seek(0)
    return FileResponse(
        file,
        as_attachment=True,
        filename="statements.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@require_GET
@supplier_required
def statement_export_zip(request):
    """The stored PDFs of the filtered list as one ZIP, built in a temporary file; at most
    ``PORTAL_ZIP_MAX_DOCUMENTS`` documents (more is refused with a message)."""
    ids, refused = _exported(request, limit=settings.PORTAL_ZIP_MAX_DOCUMENTS, what="ZIP")
    if refused:
        return refused
    file = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it, which deletes it)
    try:
        exports.zip_write(statement_ids=ids, file=file)
    except RenderError:
        file.close()
        logger.exception("portal ZIP export: a PDF could not be rendered")
        form = StatementFilterForm(
            request.GET or None, **selectors.statement_filter_choices(user=request.user)
        )
        return _export_refused(
            request,
            form,
            "A PDF could not be made just now, so nothing was downloaded. Try again later.",
            503,
        )
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename="statements.zip", content_type="application/zip")


@require_GET
@supplier_required
def statement_detail(request, number: str):
    statement = _statement_or_404(request, number)
    return render(
        request,
        "portal/statement_detail.html",
        selectors.statement_page(user=request.user, statement=statement),
    )


@require_GET
@supplier_required
def statement_pdf(request, number: str):
    """The PDF stored for the issued statement; rendered and stored once if issuing's queued
    render has not landed yet, so it is never regenerated differently."""
    statement = _statement_or_404(request, number)
    if not statement.pdf:
        statement_pdf_store(statement_id=statement.pk)
        statement.refresh_from_db()
    return FileResponse(
        statement.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{statement.number}.pdf",
    )


@require_GET
@supplier_required
def statement_terms(request, number: str):
    """The terms version that priced the document, in words."""
    statement = _statement_or_404(request, number)
    return render(request, "portal/statement_terms.html", drilldown.statement_terms_page(statement=statement))


@require_GET
@supplier_required
def statement_line(request, number: str, line_number: int):
    """What one line of the document used: its KPIs as priced, their breakdown and files. A
    line the document does not have is a 404, like another supplier's document."""
    statement = _statement_or_404(request, number)
    context = drilldown.line_page(statement=statement, line_number=line_number)
    if context is None:
        raise Http404("No such line")
    return render(request, "portal/line_detail.html", context)


# The statuses whose preview PDF exists; an issued document's PDF is the stored one.
PREVIEW_PDF_STATUSES = (Statement.Status.DRAFT, Statement.Status.APPROVED)


@require_GET
def procurement_preview(request, statement_id: int):
    """What the supplier sees of a statement, for the buyer's procurement user looking at it
    in the admin (routed through the admin's login and MFA check): the portal's statement page
    with the same context, read-only, under a banner. A statement of another buyer, or a user
    without ``billing.view_statement``, gets a 404. A draft or approved statement is shown as it
    will look once issued, without a number; its PDF link is the DRAFT preview, and an issued
    document's download is disabled here (the supplier downloads the stored PDF)."""
    if not request.user.has_perm("billing.view_statement"):
        raise Http404("No such statement")
    statement = (
        for_buyer_of(
            request.user,
            Statement.objects.select_related("contract__supplier"),
            buyer_path="contract__buyer_id",
        )
        .filter(pk=statement_id)
        .first()
    )
    if statement is None:
        raise Http404("No such statement")
    context = selectors.statement_page(user=request.user, statement=statement)
    unissued = statement.status in PREVIEW_PDF_STATUSES
    context.update(
        {
            "preview": True,
            "preview_supplier": statement.contract.supplier.name,
            "preview_unissued": unissued,
            "preview_admin_url": reverse("admin:billing_statement_change", args=[statement.pk]),
            "preview_pdf_url": reverse("admin:billing_statement_preview_pdf", args=[statement.pk])
            if unissued
            else None,
        }
    )
    if unissued:
        context["number"] = "(number assigned on issue)"
    return render(request, "portal/statement_preview.html", context)


@require_GET
@supplier_required
def kpi_submissions(request):
    """The KPI files the supplier's organisation submitted, newest first: which count, which
    wait for the buyer's review (and what they change in issued months), and why any was
    rejected."""
    page = Paginator(batches_submitted_for(request.user), selectors.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/kpi_submissions.html", {"page": page})


def _counted(key: str, window_seconds: int) -> int:
    """Add one to the counter ``key`` in the default cache and return the new count; the
    counter starts with the first request and expires ``window_seconds`` after it."""
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr(): this request starts a new window
        cache.set(key, 1, timeout=window_seconds)
        return 1


def password_reset_allowed(*, email: str, client_ip: str) -> bool:
    """Count a reset request for ``email`` (case-insensitive) from ``client_ip``; False once
    either has made more than ``PASSWORD_RESET_LIMIT_PER_ADDRESS`` / ``_PER_IP`` requests in
    the current ``PASSWORD_RESET_WINDOW_SECONDS``. Both counters always count, so switching
    addresses does not reset the client's. Keys hold hashes, never the address itself."""
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    limits = {
        f"password-reset:address:{email.strip().lower()}": settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
        f"password-reset:ip:{client_ip}": settings.PASSWORD_RESET_LIMIT_PER_IP,
    }
    counts = {
        key: _counted("password-reset:" + hashlib.sha256(key.encode()).hexdigest(), window) for key in limits
    }
    return all(counts[key] <= limit for key, limit in limits.items())


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, sending at most the configured number of emails per address
    and per client address. A throttled request gets the same redirect to the same "check your
    email" page as any other, so the answer reveals neither the throttle nor the account."""

    success_url = reverse_lazy("portal:password-reset-done")

    def form_valid(self, form):
        client = get_client_ip_address(self.request) or ""
        if password_reset_allowed(email=form.cleaned_data["email"], client_ip=client):
            return super().form_valid(form)
        logger.warning("password reset throttled for client %s", client)
        return HttpResponseRedirect(self.get_success_url())


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (paths only: no script, no external image).

    qrcode's SVG module mixes floats into Decimals (on import too), which the money code's
    FloatOperation trap would refuse; it is allowed here, for the QR code's drawing only."""
    with decimal.localcontext() as context:
        context.traps[decimal.FloatOperation] = False
        import qrcode.image.svg

        image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage)
        return image.to_string(encoding="unicode")


@require_http_methods(["GET", "POST"])
@login_required
def staff_mfa_enrol(request):
    """A staff user without a confirmed TOTP device sets one up: the page shows the device's
    otpauth QR code (and its secret, for typing in), and confirming one current code confirms
    the device and verifies this session, so the admin opens. Once a device is confirmed this
    page shows no secret again: a lost device is removed by another administrator in the admin
    (OTP_TOTP → TOTP devices), and the user enrols anew."""
    user = request.user
    if not user.is_staff:
        return render(request, "portal/mfa_enrol.html", {"not_staff": True}, status=403)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return render(request, "portal/mfa_enrol.html", {"enrolled": True})
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = TOTPConfirmForm(request.POST or None)
    if form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect("admin:index")
        form.add_error("token", "That code does not match. Enter the code your app shows now.")
    context = {
        "form": form,
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 (generated paths only)
        "secret": base64.b32encode(device.bin_key).decode(),
    }
    return render(request, "portal/mfa_enrol.html", context)

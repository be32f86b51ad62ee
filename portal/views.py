"""Supplier portal pages: thin views over :mod:`portal.selectors`, the throttled password
reset, and the staff's TOTP enrolment."""

import base64
import decimal
import hashlib
import logging
from functools import wraps

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from billing.models import Statement
from billing.pdf import statement_pdf_store
from contracts.tenancy import for_buyer_of
from kpis.access import batches_submitted_for

from . import selectors
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
    queried = queried_ids([document.id for document in page.object_list])
    return render(request, "portal/statement_list.html", {"form": form, "page": page, "queried": queried})


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

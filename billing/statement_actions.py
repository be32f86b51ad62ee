"""Approve, issue and void from a statement's own admin page, and its DRAFT PDF preview.

Each action is one admin URL under the statement: GET shows a confirmation page saying what
will happen (the number series, the PDF, who will see the document), POST (with the admin's
CSRF check) does it through the service as ``request.user``. The services apply the
permission and four-eyes rules; their refusals come back as error messages naming the rule.
Another buyer's statement is not found (404), as everywhere in the admin. The changelist
actions stay for acting on many statements at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from contracts.selectors import currency_decimal_places, self_billing_problem
from pricing.text import money_text

from . import services
from .actors import check_four_eyes_approve, check_four_eyes_issue
from .errors import BillingError
from .forms import VoidForm
from .models import NumberSeries, Statement
from .pdf import statement_pdf_preview_bytes
from .rendering import RenderError

MAX_VOID_REASON = 2000  # a sentence or a paragraph; the reason is shown on the portal and the PDF


class StatementVoidForm(VoidForm):
    """The changelist's void form with the reason bounded, since one statement's page is a
    form anyone with the change permission can post anything to."""

    reason = forms.CharField(
        max_length=MAX_VOID_REASON,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why the statement is void. Shown to the supplier with the document.",
    )


@dataclass(frozen=True)
class ObjectAction:
    """One state change offered on a statement's page: the status it starts from and the
    permission (``billing.<codename>``) its button needs."""

    name: str
    label: str
    from_status: str
    codename: str
    done: str
    needs: str

    def possible(self, statement: Statement, user) -> bool:
        return statement.status == self.from_status and user.has_perm(f"billing.{self.codename}")


OBJECT_ACTIONS = {
    action.name: action
    for action in (
        ObjectAction(
            "approve",
            "Approve",
            Statement.Status.DRAFT,
            "approve_statement",
            "approved",
            "only a draft can be approved",
        ),
        ObjectAction(
            "issue",
            "Issue",
            Statement.Status.APPROVED,
            "issue_statement",
            "issued",
            "only an approved statement can be issued",
        ),
        ObjectAction(
            "void",
            "Void",
            Statement.Status.ISSUED,
            "change_statement",
            "voided",
            "only an issued statement can be voided",
        ),
    )
}
PREVIEW_STATUSES = (Statement.Status.DRAFT, Statement.Status.APPROVED)


def statement_object_actions(statement: Statement, user) -> list[ObjectAction]:
    """The actions whose buttons ``user`` sees on ``statement``'s page: those its status allows
    and the user's permissions cover. Four-eyes is not decided here: it depends on who asks at
    the moment of acting, and its refusal names the rule (see the confirmation pages)."""
    return [action for action in OBJECT_ACTIONS.values() if action.possible(statement, user)]


def issue_number_series(statement: Statement, issue_date) -> dict:
    """Which number series issuing ``statement`` on ``issue_date`` takes its number from, read
    without locking or changing it: the series' prefix and the value it holds now. The number
    itself is assigned only in the issuing transaction (another issue may take this value
    first), so the page shows it as "next", never as promised. A series that does not exist
    yet starts at 1 with the prefix issuing will give it (``services.number_series_prefix``)."""
    buyer = statement.contract.buyer
    series = NumberSeries.objects.filter(
        buyer=buyer, document_type=statement.document_type, year=issue_date.year
    ).first()
    if series is not None:
        return {"prefix": series.prefix, "next": f"{series.prefix}-{series.next_value:06d}", "new": False}
    prefix = services.number_series_prefix(statement, issue_date)
    return {"prefix": prefix, "next": f"{prefix}-000001", "new": True}


def _rule_refusal(check, statement, user) -> str | None:
    try:
        check(statement, user)
    except BillingError as error:
        return str(error)
    return None


def _confirmation(action: str, statement: Statement, user) -> dict:
    """What the confirmation page of ``action`` says will happen, and what refuses it now."""
    contract = statement.contract
    if action == "approve":
        return {"refusal": _rule_refusal(check_four_eyes_approve, statement, user)}
    if action == "issue":
        issue_date = timezone.localdate()
        return {
            "refusal": _rule_refusal(check_four_eyes_issue, statement, user)
            or self_billing_problem(contract, issue_date),
            "series": issue_number_series(statement, issue_date),
            "issue_date": issue_date,
            "self_billing": contract.self_billing,
        }
    return {}


class StatementObjectActionsMixin:
    """For ``StatementAdmin``: the approve, issue and void pages of one statement and its
    DRAFT PDF preview. Objects come from ``get_object``, so the admin's buyer scope applies."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            *(
                path(
                    f"<path:object_id>/{name}/",
                    wrap(self.statement_action_view),
                    {"action": name},
                    name=f"billing_statement_{name}",
                )
                for name in OBJECT_ACTIONS
            ),
            path(
                "<path:object_id>/preview.pdf",
                wrap(self.statement_preview_pdf_view),
                name="billing_statement_preview_pdf",
            ),
            *super().get_urls(),
        ]

    def _statement_or_404(self, request, object_id) -> Statement:
        statement = self.get_object(request, unquote(object_id))
        if statement is None or not self.has_view_permission(request, statement):
            raise Http404("No such statement")
        return statement

    def object_actions_context(self, request, statement: Statement) -> dict:
        """The change page's buttons: the possible actions, the PDF preview (drafts and
        approved statements) and the supplier's view, by URL name."""
        return {
            "object_actions": statement_object_actions(statement, request.user),
            "can_preview_pdf": statement.status in PREVIEW_STATUSES,
        }

    @staticmethod
    def _change_page(statement: Statement):
        return redirect("admin:billing_statement_change", statement.pk)

    @staticmethod
    def _done_message(action: str, statement: Statement) -> str:
        if action == "approve":
            return f"Approved {statement}: it can now be issued by someone allowed to issue."
        if action == "issue":
            issued = statement.issue_date
            return (
                f"Issued as {statement.number}, dated {issued.day} {issued:%B %Y}; "
                f"{statement.contract.supplier.name} now sees it in its portal."
            )
        return f"Voided {statement.number}: {statement.void_reason}"

    def _act(self, request, action: str, statement: Statement, form) -> Statement:
        """Run the service of ``action`` as ``request.user``; raises its ``BillingError``."""
        if action == "approve":
            return services.statement_approve(statement_id=statement.pk, user=request.user)
        if action == "issue":
            return services.statement_issue(statement_id=statement.pk, user=request.user)
        return services.statement_void(
            statement_id=statement.pk, reason=form.cleaned_data["reason"], user=request.user
        )

    @staticmethod
    def _forbidden_unless_permitted(request, action: ObjectAction) -> None:
        if not request.user.has_perm(f"billing.{action.codename}"):
            raise PermissionDenied(f"the {action.codename} permission is required to {action.name}")

    def statement_action_view(self, request, object_id, action):
        """GET: the confirmation page; POST: the change, then the statement's page with the
        result (the number assigned) or the rule that refused it."""
        return require_http_methods(["GET", "POST"])(self._statement_action)(request, object_id, action)

    def _statement_action(self, request, object_id, action):
        statement = self._statement_or_404(request, object_id)
        spec = OBJECT_ACTIONS[action]
        self._forbidden_unless_permitted(request, spec)
        if statement.status != spec.from_status:
            self.message_user(request, f"{statement} is {statement.status}: {spec.needs}", messages.ERROR)
            return self._change_page(statement)
        form = StatementVoidForm(request.POST or None) if action == "void" else None
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                changed = self._act(request, action, statement, form)
            except BillingError as error:
                self.message_user(request, f"Not {spec.done}: {error}", messages.ERROR)
            else:
                self.log_change(request, changed, f"{spec.done.capitalize()} (statement page)")
                self.message_user(request, self._done_message(action, changed), messages.SUCCESS)
            return self._change_page(statement)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": statement,
            "statement": statement,
            "action": spec,
            "form": form,
            "four_eyes": settings.FOUR_EYES,
            "supplier": statement.contract.supplier,
            "buyer": statement.contract.buyer,
            "title": f"{spec.label} {statement}?",
            "net": money_text(statement.net, currency_decimal_places(statement.currency)),
            "gross": money_text(statement.gross, currency_decimal_places(statement.currency)),
            **_confirmation(action, statement, request.user),
        }
        return render(request, "admin/billing/statement/confirm_action.html", context)

    def statement_preview_pdf_view(self, request, object_id):
        return require_GET(self._statement_preview_pdf)(request, object_id)

    def _statement_preview_pdf(self, request, object_id):
        """The draft or approved statement rendered now with the issued PDF's template, marked
        DRAFT on every page; never stored, never numbered. An issued statement has its stored
        PDF instead, so it has no preview."""
        statement = self._statement_or_404(request, object_id)
        if statement.status not in PREVIEW_STATUSES:
            self.message_user(
                request, f"{statement} is {statement.status}: its stored PDF is the document", messages.ERROR
            )
            return self._change_page(statement)
        try:
            content = statement_pdf_preview_bytes(statement=statement)
        except RenderError as error:
            self.message_user(request, f"The preview could not be rendered: {error}", messages.ERROR)
            return self._change_page(statement)
        response = HttpResponse(content, content_type="application/pdf")
        name = re.sub(r"[^A-Za-z0-9._-]", "_", f"DRAFT-{statement.contract.reference}-{statement.period}")
        name = f"{name}-r{statement.revision}.pdf"
        response["Content-Disposition"] = f'inline; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response

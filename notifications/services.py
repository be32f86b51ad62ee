"""Writes for notifications: a user's choices, and sending an event's emails at most once each.

Sending (``notification_event_send``) reads the statement and the recipients when it runs,
then for each recipient claims the (event, user) row first (``delivery_claim``: insert or
skip, on the unique constraint), sends one email, and marks the row sent. Each claim commits
on its own, so a second task for the same event, running at once or later, finds it and
sends nothing. A send that fails with an SMTP or connection error marks the claim failed and
raises, for the task to retry; only the task that claimed it may send it again.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from billing.documents import StatementDocument, document
from billing.models import Statement
from contracts.models import Membership
from core.formatting import money_display

from .models import KIND_ROLES, NotificationDelivery, NotificationKind, NotificationPreference
from .selectors import notification_kinds_for, notification_preferences, notification_recipients

logger = logging.getLogger(__name__)

# Errors worth another attempt: the mail server refused or dropped us, or was unreachable
# (smtplib's errors are OSErrors, as are timeouts and refused connections).
SEND_ERRORS = (smtplib.SMTPException, OSError)
# A query's words are quoted in the email up to this many characters; the rest is in the page.
QUOTED_TEXT_MAX = 2000
MAX_ERROR = 500


class NotificationError(Exception):
    pass


def notification_preferences_set(*, user, enabled: dict[str, bool]) -> dict[str, bool]:
    """Save ``user``'s choice for each kind in ``enabled`` (kind → on), in one transaction, and
    return the user's choices. Raises ``NotificationError``, changing nothing, for a kind the
    user cannot receive (``notification_kinds_for``)."""
    allowed = {str(kind) for kind in notification_kinds_for(user=user)}
    unknown = set(enabled) - allowed
    if unknown:
        raise NotificationError(f"not a notification you receive: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        for kind, on in enabled.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"enabled": bool(on)}
            )
    return notification_preferences(user=user)


# --- event keys: what "one email per event" counts ------------------------------------------


def event_key(kind: str, *, statement_id: int, details: dict) -> str:
    """The key of one event, the same however often it is sent: the statement for an issue,
    the query for a raised query, and for an answer the query with a digest of the answer and
    resolution (a query answered twice in different words is two events). At most 120
    characters."""
    if kind == NotificationKind.STATEMENT_ISSUED:
        return f"statement_issued:{int(statement_id)}"
    if kind == NotificationKind.QUERY_RAISED:
        return f"query_raised:{int(details['query_id'])}"
    if kind == NotificationKind.QUERY_ANSWERED:
        answer = f"{details.get('resolution', '')}\n{details.get('text', '')}"
        digest = hashlib.sha256(answer.encode()).hexdigest()[:32]
        return f"query_answered:{int(details['query_id'])}:{digest}"
    raise NotificationError(f"unknown notification kind {kind!r}")


# --- claiming and sending -------------------------------------------------------------------


def delivery_claim(*, event_key: str, kind: str, user_id: int, statement_id: int, owner: str) -> bool:
    """Claim the email of ``event_key`` to ``user_id`` for the task ``owner``: True when this
    task may send it now, because it inserted the row, or because the row is its own from an
    earlier attempt that failed (taken back atomically, so two attempts never both win).
    False when the email was sent, or claimed by another task (sending or failed there)."""
    try:
        with transaction.atomic():
            NotificationDelivery.objects.create(
                event_key=event_key, kind=kind, user_id=user_id, statement_id=statement_id, owner=owner
            )
        return True
    except IntegrityError:
        taken_back = NotificationDelivery.objects.filter(
            event_key=event_key, user_id=user_id, owner=owner, status=NotificationDelivery.Status.FAILED
        ).update(status=NotificationDelivery.Status.CLAIMED)
        return taken_back == 1


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@dataclass(frozen=True)
class Links:
    statement: str
    preferences: str


def _links(role: str, statement: Statement) -> Links:
    """Absolute links for a role: the portal's page and preferences for supplier users, the
    admin's for procurement."""
    if role == Membership.Role.SUPPLIER:
        return Links(
            statement=_absolute(reverse("portal:statement-detail", args=[statement.number])),
            preferences=_absolute(reverse("portal:notifications")),
        )
    return Links(
        statement=_absolute(reverse("admin:billing_statement_change", args=[statement.pk])),
        preferences=_absolute(reverse("admin:notifications_notificationpreference_mine")),
    )


def notification_message(
    *, kind: str, statement: Statement, user, details: dict, doc: StatementDocument | None = None
) -> EmailMultiAlternatives:
    """The email of ``kind`` about ``statement`` to ``user``: a subject, a plain-text body and
    an HTML alternative, from ``templates/notifications/<kind>.{txt,html}`` and
    ``<kind>_subject.txt``, naming the document and its amount, with absolute links to it and
    to the page where the user turns these emails off (also as ``List-Unsubscribe``). ``doc``
    is the statement's document when the caller has built it already."""
    role = KIND_ROLES[NotificationKind(kind)]
    doc = doc or document(statement)
    links = _links(role, statement)
    text = str(details.get("text", ""))
    context = {
        "user": user,
        "document": doc,
        # Mid-sentence ("a query on invoice ACME-..."); a template starting with it capitalises it.
        "document_name": f"{doc.document_type_label[:1].lower()}{doc.document_type_label[1:]} {doc.number}",
        "gross": money_display(doc.gross, doc.currency),
        "net": money_display(doc.net, doc.currency),
        "links": links,
        "subject_of_query": str(details.get("subject", ""))[:200],
        "text": text[:QUOTED_TEXT_MAX],
        "text_cut": len(text) > QUOTED_TEXT_MAX,
        "resolution": str(details.get("resolution", "")),
        "actor": str(details.get("actor", ""))[:150],
    }
    subject = " ".join(render_to_string(f"notifications/{kind}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject[:200],
        body=render_to_string(f"notifications/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"List-Unsubscribe": f"<{links.preferences}>"},
    )
    message.attach_alternative(render_to_string(f"notifications/{kind}.html", context), "text/html")
    return message


def notification_event_send(*, kind: str, statement_id: int, details: dict, owner: str) -> int:
    """Send ``kind``'s email about the statement ``statement_id`` to each of its recipients
    (``notification_recipients``, read now) at most once per user, as the task ``owner``;
    ``details`` are the signal's plain values (``query_id``, ``subject``, ``text``,
    ``resolution``, ``actor``). Returns the number of emails sent by this call; 0 for a
    statement that no longer exists or has no number (nothing to link to).

    Raises what the mail connection raises (``SEND_ERRORS``) after marking that claim failed,
    so the caller retries; the emails already sent stay sent and are skipped then."""
    statement = (
        Statement.objects.select_related("contract__buyer", "contract__supplier")
        .filter(pk=statement_id)
        .first()
    )
    if statement is None or not statement.number:
        logger.warning("notification %s: statement %s has no issued document", kind, statement_id)
        return 0
    key = event_key(kind, statement_id=statement_id, details=details)
    doc = document(statement)  # once for every recipient
    connection = get_connection()
    sent = 0
    try:
        for user in notification_recipients(kind=kind, statement=statement):
            # Built before the claim: an email that cannot be built claims nothing.
            message = notification_message(
                kind=kind, statement=statement, user=user, details=details, doc=doc
            )
            message.connection = connection
            if not delivery_claim(
                event_key=key, kind=kind, user_id=user.pk, statement_id=statement.pk, owner=owner
            ):
                continue
            claim = NotificationDelivery.objects.filter(event_key=key, user_id=user.pk)
            try:
                message.send()
            except SEND_ERRORS as error:
                claim.update(
                    status=NotificationDelivery.Status.FAILED,
                    attempts=F("attempts") + 1,
                    last_error=f"{type(error).__name__}: {error}"[:MAX_ERROR],
                )
                raise
            claim.update(
                status=NotificationDelivery.Status.SENT, attempts=F("attempts") + 1, sent_at=timezone.now()
            )
            sent += 1
    finally:
        connection.close()
    return sent

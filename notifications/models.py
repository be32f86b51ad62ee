"""Email notifications: who wants which, and which email each user was sent for each event.

``NotificationDelivery`` is the at-most-once record: one row per (event, user), inserted
before the email is sent, so a duplicated or retried task never sends it twice
(``notifications.services``). ``NotificationPreference`` keeps a user's choice per kind;
no row means on.
"""

from django.conf import settings
from django.db import models

from contracts.models import Membership


class NotificationKind(models.TextChoices):
    STATEMENT_ISSUED = "statement_issued", "A statement is issued"
    QUERY_ANSWERED = "query_answered", "Procurement answers a query"
    QUERY_RAISED = "query_raised", "A supplier raises a query"


# Who receives each kind: the supplier's users, or the buyer's procurement users. The one
# place of this rule: the recipients, the links and both preference pages read it.
KIND_ROLES = {
    NotificationKind.STATEMENT_ISSUED: Membership.Role.SUPPLIER,
    NotificationKind.QUERY_ANSWERED: Membership.Role.SUPPLIER,
    NotificationKind.QUERY_RAISED: Membership.Role.PROCUREMENT,
}


class NotificationPreference(models.Model):
    """A user's choice for one kind of email; without a row the user receives it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}: {'on' if self.enabled else 'off'}"


class NotificationDelivery(models.Model):
    """One email of one event to one user, claimed before it is sent.

    ``owner`` is the id of the task that claimed it: only that task (on its own retries) may
    send a claim whose send failed; a claim still ``claimed`` after its task stopped (a worker
    that died mid-send) is never sent again, so no one gets the email twice."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Claimed (sending)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (retried by its task)"

    event_key = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The statement's id, not a foreign key: deleting a replaced draft (billing.bulk) must not
    # look for rows here, and only issued documents, which are never deleted, are emailed.
    statement_id = models.BigIntegerField(db_index=True)
    owner = models.CharField(max_length=155, help_text="The id of the task that claimed it.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CLAIMED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "notification deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "user"], name="notification_once_per_event_and_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_key} → {self.user} ({self.status})"

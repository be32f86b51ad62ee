"""Procurement's review of a KPI batch held for review: accept it (its rows count from then on
and the issued months it changes are corrected) or reject it with a reason (its rows never
count; the batch stays, for the supplier to see why).

Only a user with ``kpis.review_kpibatch`` who sees the batch (``kpis.access``: its buyer's
procurement, or a superuser) may review it, and only while it is pending: a batch is reviewed
once.
"""

from __future__ import annotations

import unicodedata

from django.db import transaction
from django.utils import timezone

from contracts.models import Contract

from .access import batches_for_buyer_of
from .models import KpiBatch
from .signals import kpi_batch_accepted

MAX_REASON_CHARS = 1000


class ReviewRefused(Exception):
    """The review cannot be made; the message says why."""


def _pending(batch_id: int, user) -> KpiBatch:
    if not user.has_perm("kpis.review_kpibatch"):
        raise ReviewRefused("you may not review KPI batches (kpis.review_kpibatch)")
    batch = batches_for_buyer_of(user).select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise ReviewRefused(f"no KPI batch {batch_id}")
    if batch.status != KpiBatch.Status.PENDING:
        raise ReviewRefused(
            f"batch {batch.pk} is not pending review: it was {batch.get_status_display().lower()}"
        )
    return batch


def kpi_batch_accept(*, batch_id: int, user) -> KpiBatch:
    """Accept a batch held for review: its rows count from now, as of its number (a later
    batch of the same key still supersedes it), and ``kpi_batch_accepted`` lets billing
    correct the issued months it changes. Raises ``ReviewRefused``."""
    with transaction.atomic():
        batch = _pending(batch_id, user)
        batch.status = KpiBatch.Status.ACCEPTED
        batch.reviewed_by = user
        batch.reviewed_at = timezone.now()
        batch.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        ids = dict(Contract.objects.filter(reference__in=batch.contracts).values_list("reference", "pk"))
        months = [(ids[m["contract"]], m["period"]) for m in batch.held_months if m["contract"] in ids]
        kpi_batch_accepted.send(sender=KpiBatch, batch=batch, user=user, months=months)
    return batch


def kpi_batch_reject(*, batch_id: int, user, reason: str) -> KpiBatch:
    """Reject a batch held for review, with the reason the supplier will read. Raises
    ``ReviewRefused`` (also for an empty or over-long reason)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRefused("give the reason the supplier will read")
    if len(reason) > MAX_REASON_CHARS:
        raise ReviewRefused(f"the reason is {len(reason):,} characters long; at most {MAX_REASON_CHARS:,}")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in reason):
        raise ReviewRefused("the reason contains a control character")
    with transaction.atomic():
        batch = _pending(batch_id, user)
        batch.status = KpiBatch.Status.REJECTED
        batch.reviewed_by = user
        batch.reviewed_at = timezone.now()
        batch.review_reason = reason
        batch.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    return batch

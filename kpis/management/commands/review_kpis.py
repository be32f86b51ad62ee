from django.core.management.base import BaseCommand, CommandError

from core.users import active_user_named
from kpis.models import KpiBatch
from kpis.review import MAX_REASON_CHARS, ReviewRefused, kpi_batch_accept, kpi_batch_reject


class Command(BaseCommand):
    help = (
        "Accept or reject a KPI batch held for review (a supplier's change to an issued month), as a "
        "procurement user. Accepted, its figures count and a billing run corrects each issued month it "
        "changes; rejected, it counts for nothing and the supplier sees the reason. Without a batch, "
        "lists the batches waiting."
    )

    def add_arguments(self, parser):
        parser.add_argument("batch", nargs="?", type=int, help="the batch's number")
        decision = parser.add_mutually_exclusive_group()
        decision.add_argument("--accept", action="store_true")
        decision.add_argument(
            "--reject", metavar="REASON", help=f"the reason (at most {MAX_REASON_CHARS} characters)"
        )
        parser.add_argument("--user", metavar="USERNAME", help="the reviewer (required to decide)")

    def handle(self, *args, batch=None, accept=False, reject=None, user=None, **options):
        if batch is None:
            for pending in KpiBatch.objects.filter(status=KpiBatch.Status.PENDING).order_by("pk"):
                months = ", ".join(f"{m['contract']} {m['period']}" for m in pending.held_months)
                who = pending.uploaded_by.username if pending.uploaded_by else pending.party
                self.stdout.write(f"batch {pending.pk}: {pending.file_name} from {who}, changes {months}")
            return
        if not accept and reject is None:
            raise CommandError("say --accept or --reject REASON")
        if user is None:
            raise CommandError("--user: a review is made by a named procurement user")
        reviewer = active_user_named(user)
        if reviewer is None:
            raise CommandError(f"--user: no active user {user!r}")
        try:
            if accept:
                reviewed = kpi_batch_accept(batch_id=batch, user=reviewer)
            else:
                reviewed = kpi_batch_reject(batch_id=batch, user=reviewer, reason=reject)
        except ReviewRefused as error:
            raise CommandError(f"batch {batch}: {error}") from None
        if accept:
            months = ", ".join(f"{m['contract']} {m['period']}" for m in reviewed.held_months)
            self.stdout.write(
                f"batch {batch} accepted by {user}: its figures count; billing runs correct {months}"
            )
        else:
            self.stdout.write(f"batch {batch} rejected by {user}: {reviewed.review_reason}")

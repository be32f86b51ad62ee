"""What billing tells the apps above it (``notifications``, ``webhooks``) without importing them.

Every signal here is sent once the change is committed (``transaction.on_commit``), so a
receiver never acts on a change that was rolled back, except ``statement_event_recorded``.
Arguments are plain values and the statement, so a receiver needs nothing of the sender's
models beyond ``Statement``.
"""

from django.dispatch import Signal

# ``statement`` (the issued Statement), ``actor`` (the user who issued it, or None).
statement_issued = Signal()

# A supplier user raised a query on a statement: ``statement``, ``query_id`` (int),
# ``subject`` (what it is about, in words: "the whole statement" or the line's title),
# ``text`` (the supplier's words), ``actor`` (who raised it).
query_raised = Signal()

# Procurement answered or resolved a query: ``statement``, ``query_id``, ``subject``,
# ``text`` (the answer), ``actor`` (who answered), ``resolution`` ("" while the query stays
# open, else "explained" or "accepted").
query_answered = Signal()

# Sent INSIDE the change's transaction, as soon as ``billing.events.statement_event_record``
# has appended an event: ``event`` (the StatementEvent), ``statement`` (the Statement as just
# changed). What a receiver writes commits or rolls back with the change (the webhooks'
# outbox); a receiver that raises rolls the change back, so it must only write rows.
statement_event_recorded = Signal()

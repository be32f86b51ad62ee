"""What billing tells the apps above it (``notifications``) without importing them.

Every signal here is sent once the change is committed (``transaction.on_commit``), so a
receiver never acts on a change that was rolled back. Arguments are plain values and the
statement, so a receiver needs nothing of the sender's models beyond ``Statement``.
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

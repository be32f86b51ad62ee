"""What contracts tells the apps above it (billing) without importing them."""

from django.dispatch import Signal

# Sent inside the import's transaction with ``series`` (the index series code), ``periods``
# (the months, ``YYYY-MM``, whose values were added or revised) and ``user`` (who imported
# them, or None): billing prices again the months that read them.
index_values_imported = Signal()

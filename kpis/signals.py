"""What kpis tells the apps above it (billing) without importing them."""

from django.dispatch import Signal

# Sent inside the accepting transaction with ``batch`` (now accepted), ``user`` (who accepted
# it) and ``months`` (the issued (contract id, period) months it changes): billing records the
# change on each month's statement and starts the runs that correct them.
kpi_batch_accepted = Signal()

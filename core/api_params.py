"""Query parameters of the REST API that every list shares, checked strictly: a value that is
not valid is a 400 naming the parameter (docs/api.md, *Errors*), never a quiet default or an
empty page.

- ``page``: a positive whole number of at most 18 digits, or ``last``; a page past the last is
  still DRF's 404 (the value is valid, the page does not exist).
- ``page_size``: a whole number from 1 to the list's ``max_page_size``.
- ``ordering``: at most ``MAX_ORDERING_TERMS`` comma-separated terms, each a field the view
  orders by, with an optional leading ``-``.
An absent or empty parameter is the default.
"""

from __future__ import annotations

import re

from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination

POSITIVE_RE = re.compile(r"[1-9][0-9]{0,17}")
MAX_ORDERING_TERMS = 8
SHOWN_CHARS = 40


def _shown(value: str) -> str:
    return repr(value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS] + "…")


class StrictPageNumberPagination(PageNumberPagination):
    """DRF's page-number pagination whose ``page`` and ``page_size`` are refused with a 400
    (``ValidationError`` naming the parameter) when they are not valid, instead of a 404 and
    the default size."""

    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        """``page_size``, 1 to ``max_page_size``, or ``page_size`` when absent or empty."""
        raw = request.query_params.get(self.page_size_query_param) or ""
        if not raw:
            return self.page_size
        if not POSITIVE_RE.fullmatch(raw) or int(raw) > self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"expected a whole number from 1 to {self.max_page_size}, got {_shown(raw)}"
                    ]
                }
            )
        return int(raw)

    def page_number_check(self, request) -> None:
        """Raises ``ValidationError`` unless ``page`` is absent, empty, ``last`` or a positive
        whole number of at most 18 digits."""
        raw = request.query_params.get(self.page_query_param) or ""
        if raw and raw not in self.last_page_strings and not POSITIVE_RE.fullmatch(raw):
            raise ValidationError(
                {self.page_query_param: [f"expected a positive whole number or 'last', got {_shown(raw)}"]}
            )

    def paginate_queryset(self, queryset, request, view=None):
        self.page_number_check(request)
        return super().paginate_queryset(queryset, request, view)


class StrictOrderingFilter(OrderingFilter):
    """DRF's ordering filter that refuses, with a 400 naming ``ordering``, a term that is not
    one of the view's ``ordering_fields`` (DRF leaves it out silently)."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        if len(fields) > MAX_ORDERING_TERMS:
            raise ValidationError({self.ordering_param: [f"at most {MAX_ORDERING_TERMS} fields"]})
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        invalid = [term for term in fields if term not in valid]
        if invalid:
            allowed = ", ".join(
                name for name, _ in self.get_valid_fields(queryset, view, {"request": request})
            )
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"cannot order by {_shown(invalid[0])} (allowed: {allowed}, each with an optional leading -)"
                    ]
                }
            )
        return valid

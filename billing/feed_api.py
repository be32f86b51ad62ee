"""The finance API's feeds for accounting systems: ``updated_since`` and ``cursor`` on the
invoice list, and ``/api/v1/events/``. Reads are in :mod:`billing.feed`; this module parses
and bounds the parameters and shapes the answers."""

from dataclasses import dataclass

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .feed import (
    FEED_EVENT_TYPES,
    MAX_EVENT_ID,
    FeedError,
    FeedPosition,
    cursor_parse,
    cursor_text,
    feed_events,
    feed_read_lock,
    statements_changed,
    updated_since_parse,
)
from .permissions import visible_statements
from .serializers import VALIDATION_ERROR_SCHEMA, ErrorSerializer

UPDATED_SINCE = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    OpenApiParameter.QUERY,
    description="Only documents changed (issued, paid, voided) after this instant, ISO 8601 with its "
    "offset. With it, or with `cursor`, the list is ordered by when each document last changed, "
    "oldest first, and paged by `cursor` (`page` and `ordering` are ignored).",
)
CURSOR = OpenApiParameter(
    "cursor",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description="The `cursor` of an earlier page (or its `next` link): the documents changed after "
    "the last one it held. Opaque; one not given by the API is a 400.",
)
FEED_PARAMETERS = ("updated_since", "cursor")


def feed_requested(request) -> bool:
    """Whether the invoice list is asked for as a feed (``updated_since`` or ``cursor`` given)."""
    return any(name in request.query_params for name in FEED_PARAMETERS)


@dataclass(frozen=True)
class FeedPage:
    """A page of changed documents: their ids in order, how many match from the first on,
    the ``next`` link (``None`` when this page holds the last of them), and the cursor after
    its last document (the given one when the page is empty) to resume from later."""

    statement_ids: list[int]
    count: int
    next: str | None
    cursor: str | None


def invoice_feed_page(statements, request, *, page_size: int) -> FeedPage:
    """The page of ``statements`` (the caller's, filtered) that ``updated_since`` and ``cursor``
    ask for, read under the feed's lock (:mod:`billing.feed`). Raises DRF's ``ValidationError``
    naming the parameter that is not valid."""
    try:
        since_text = request.query_params.get("updated_since")
        since = None if since_text is None else updated_since_parse(since_text)
        given = request.query_params.get("cursor")
        position = None if given is None else cursor_parse(given)
    except FeedError as error:
        raise ValidationError({error.field: [str(error)]}) from None
    with transaction.atomic():
        feed_read_lock()
        rows, count = statements_changed(statements, since=since, position=position, limit=page_size)
    cursor = given
    if rows:
        cursor = cursor_text(FeedPosition(updated_at=rows[-1][1], statement_id=rows[-1][0]))
    following = None
    if count > len(rows):
        following = replace_query_param(request.build_absolute_uri(), "cursor", cursor)
    return FeedPage(statement_ids=[pk for pk, _ in rows], count=count, next=following, cursor=cursor)


class FeedEventSerializer(serializers.Serializer):
    """One finance event of a document, as the events feed gives it."""

    id = serializers.IntegerField(help_text="Increasing; pass the last one seen as `after` to resume.")
    type = serializers.ChoiceField(
        choices=FEED_EVENT_TYPES,
        help_text="`issued`, `adjustment issued` (a document correcting another was issued), `voided`, `paid`.",
    )
    number = serializers.CharField(help_text="The document's number.")
    document_type = serializers.CharField(help_text="`invoice` or `credit_note`.")
    adjusts = serializers.CharField(
        allow_null=True, help_text="The number of the document it corrects, or null."
    )
    amount = serializers.CharField(help_text="The document's gross amount, with the currency's places.")
    currency = serializers.CharField(help_text="ISO 4217.")
    at = serializers.DateTimeField(help_text="When it happened.")


FEED_PAGE_SIZE = 100
FEED_MAX_PAGE_SIZE = 500


class EventPagination(PageNumberPagination):
    """Only its bounded ``page_size`` and the schema of a page: the events feed pages by ``after``."""

    page_size = FEED_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = FEED_MAX_PAGE_SIZE

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "after",
                "required": False,
                "in": "query",
                "description": "Only events with an id above this one (the last one seen); default 0.",
                "schema": {"type": "integer", "minimum": 0},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Events per page: {FEED_PAGE_SIZE} by default, at most {FEED_MAX_PAGE_SIZE}.",
                "schema": {"type": "integer"},
            },
        ]


def after_parse(text: str | None) -> int:
    """``after`` as an event id: a whole number from 0 to 2**63 - 1 (0 when absent). Raises
    ``FeedError`` otherwise."""
    if text is None:
        return 0
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) > MAX_EVENT_ID:
        raise FeedError("after", f"an event id: a whole number from 0 to {MAX_EVENT_ID}")
    return int(text)


@extend_schema_view(
    list=extend_schema(
        summary="Finance events of the caller's documents, in id order",
        description="Issued, adjustment issued, voided and paid, each with its document. Pass the "
        "last `id` seen as `after` to resume; an event is served only once every event with a "
        "lower id is committed, so resuming never skips one.",
        responses={
            200: FeedEventSerializer(many=True),
            400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="`after` is not an event id"),
            401: OpenApiResponse(ErrorSerializer, description="No token, or an unknown one"),
            429: OpenApiResponse(
                ErrorSerializer, description="Too many requests: retry after `Retry-After` seconds"
            ),
        },
    )
)
class FeedEventViewSet(viewsets.GenericViewSet):
    serializer_class = FeedEventSerializer
    pagination_class = EventPagination
    filter_backends = []

    def get_queryset(self):
        return visible_statements(self.request.user)

    def list(self, request, *args, **kwargs):
        """Three queries after the token's: the lock (on PostgreSQL), the page of events with
        an id above ``after``, and their documents."""
        try:
            after = after_parse(request.query_params.get("after"))
        except FeedError as error:
            raise ValidationError({error.field: [str(error)]}) from None
        page_size = self.paginator.get_page_size(request)
        with transaction.atomic():
            feed_read_lock()
            events = feed_events(self.get_queryset(), after=after, limit=page_size)
        following = None
        if len(events) == page_size:
            following = replace_query_param(request.build_absolute_uri(), "after", events[-1].id)
        data = FeedEventSerializer(events, many=True).data
        return Response({"next": following, "results": data})

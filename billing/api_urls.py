from django.urls import path, register_converter
from rest_framework.routers import SimpleRouter

from .accruals_api import AccrualsView
from .api import InvoiceViewSet
from .feed_api import FeedEventViewSet
from .journal_api import JournalView
from .simulation_api import SimulationsView
from .value_api import ContractValueView, PortfolioView

# A document number as issued: "<buyer code>-[CN-]<year>-<six digits>", within the number
# column's 40 characters. The buyer code is a slug, so letters, digits, "-" and "_". Anything
# else (a NUL byte, a slash, 10,000 characters) matches no route: a 404 before any query.
DOCUMENT_NUMBER_PATTERN = "[A-Za-z0-9][A-Za-z0-9_-]{0,39}"


class DocumentNumberConverter:
    """``<document_number:number>`` in path routes: :data:`DOCUMENT_NUMBER_PATTERN`, as a str."""

    regex = DOCUMENT_NUMBER_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class DocumentNumberRouter(SimpleRouter):
    """Routes whose lookup is a document number take only :data:`DOCUMENT_NUMBER_PATTERN`."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        return f"(?P<{lookup_prefix}{viewset.lookup_field}>{DOCUMENT_NUMBER_PATTERN})"


# A contract reference as a path segment: at most the column's 50 characters, without "/"
# (a reference containing one is not addressable by URL) or a control character (PostgreSQL
# refuses NUL in text, so one reaching a query would be a 500): anything else is a 404.
CONTRACT_REFERENCE_PATTERN = "[^/\\x00-\\x1f\\x7f]{1,50}"


class ContractReferenceConverter:
    """``<contract_reference:reference>`` in path routes: :data:`CONTRACT_REFERENCE_PATTERN`."""

    regex = CONTRACT_REFERENCE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ContractReferenceConverter, "contract_reference")

router = DocumentNumberRouter()
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("events", FeedEventViewSet, basename="event")
urlpatterns = [
    *router.urls,
    path("accruals/", AccrualsView.as_view(), name="accruals"),
    path("journal/", JournalView.as_view(), name="journal"),
    path(
        "contracts/<contract_reference:reference>/simulations/",
        SimulationsView.as_view(),
        name="contract-simulations",
    ),
    path(
        "contracts/<contract_reference:reference>/value/", ContractValueView.as_view(), name="contract-value"
    ),
    path("portfolio/", PortfolioView.as_view(), name="portfolio"),
]

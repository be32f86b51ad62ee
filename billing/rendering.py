"""HTML to PDF with WeasyPrint: the only module that imports it.

The renderer gets a finished HTML string. Its URL fetcher serves only files inside the
bundled ``static/billing`` folder: no network, no ``file://`` anywhere else, so a
statement can never make the server fetch something on a user's behalf. A render has a time
limit (in the main thread of a process, as in the demo, commands and Celery's prefork
workers; the Celery task also carries its own limit).
"""

from __future__ import annotations

import mimetypes
import signal
import threading
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlparse

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSETS = (Path(__file__).resolve().parent.parent / "static" / "billing").resolve()
RENDER_SECONDS = 30


class RenderError(Exception):
    """The PDF could not be rendered (time limit, or WeasyPrint failed)."""


class _Expired(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception`` inside WeasyPrint swallows it."""


class BundledAssetFetcher(URLFetcher):
    """Serves ``file://`` URLs inside the bundled assets folder; refuses everything else."""

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme != "file":
            raise ValueError(f"refused to fetch {url!r}: only bundled assets are allowed")
        path = Path(unquote(parsed.path)).resolve()
        if not path.is_relative_to(ASSETS) or not path.is_file():
            raise ValueError(f"refused to fetch {url!r}: not a bundled asset")
        headers = EmailMessage()
        headers["Content-Type"] = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), headers)


@contextmanager
def _time_limit(seconds: float):
    if threading.current_thread() is not threading.main_thread():
        yield  # signals only reach the main thread; the Celery task has its own limit
        return

    def expired(signum, frame):
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expired)
    # Keep ringing every 50 ms after the limit: an alarm that lands in a finaliser (__del__)
    # is swallowed by Python, the next one stops the render.
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
    try:
        yield
    except _Expired:
        raise RenderError(f"the PDF took longer than {seconds:g} s to render") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def render_pdf(html: str, *, seconds: float = RENDER_SECONDS, pdf_variant: str | None = None) -> bytes:
    """Render ``html`` (relative asset URLs resolve inside the bundled assets) to PDF bytes;
    ``pdf_variant`` is WeasyPrint's (``"pdf/a-3b"`` for an issued document's archival PDF,
    with its XMP metadata and sRGB output intent), ``None`` a plain PDF.

    Raises ``RenderError`` when it takes longer than ``seconds``.
    """
    with _time_limit(seconds):
        document = HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=BundledAssetFetcher())
        return document.write_pdf(pdf_variant=pdf_variant)

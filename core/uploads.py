"""Every uploaded file is bounded while it arrives, not after.

``UploadSizeLimit`` runs first among ``FILE_UPLOAD_HANDLERS``: a multipart request whose
declared length is over ``UPLOAD_MAX_BYTES`` plus ``MULTIPART_ALLOWANCE`` (the form's other
fields and the part headers) is not read at all, and a file whose bytes pass the limit as
they arrive stops the upload there (Django's own handlers keep what arrives in memory up to
``FILE_UPLOAD_MAX_MEMORY_SIZE``, then in a temporary file). Either way the request carries
``upload_refusal``, the sentence a view shows (the API answers 413); nothing of the file is
kept. No upload the project accepts is larger than a KPI file, so the limit is
``KPI_FILE_MAX_BYTES``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

MULTIPART_ALLOWANCE = 64 * 1024  # bytes of a request beyond its file: other fields, part headers


def upload_refusal(request) -> str | None:
    """Why the request's upload was stopped (``UploadSizeLimit``), or ``None``. Read it after
    the request's files were parsed (``request.FILES``, or a DRF ``request.data``)."""
    return getattr(request, "upload_refusal", None)


class UploadSizeLimit(FileUploadHandler):
    """Stops any uploaded file at ``settings.KPI_FILE_MAX_BYTES`` bytes (see the module)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = settings.KPI_FILE_MAX_BYTES
        if content_length > self.limit + MULTIPART_ALLOWANCE:
            self.request.upload_refusal = (
                f"the upload is {content_length:,} bytes; a file may have at most {self.limit:,}"
            )
            return QueryDict(encoding=encoding), MultiValueDict()  # nothing is read
        return None

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.request.upload_refusal = (
                f"the file {self.file_name} is more than {self.limit:,} bytes, the limit; nothing was kept"
            )
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler keeps the file

"""Where stored documents live: the ``documents`` storage of ``STORAGES`` (config.settings).

Every stored PDF is written and read through it (``Statement.pdf`` names it), never through a
path under ``MEDIA_ROOT``, so any web or worker machine can store and serve a document that
another one rendered: the file system on one machine, an S3-compatible bucket on several.
"""

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

DOCUMENTS = "documents"


class _DocumentStorage(LazyObject):
    """The configured ``documents`` backend, looked up on first use (as ``default_storage``
    is) and again after ``STORAGES`` changes."""

    def _setup(self):
        self._wrapped = storages[DOCUMENTS]


documents_storage = _DocumentStorage()


def document_storage():
    """The ``documents`` storage, for ``FileField(storage=...)``: a callable, so migrations
    name it rather than the backend configured when they were made."""
    return documents_storage


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs) -> None:
    if setting == "STORAGES":
        documents_storage._wrapped = empty

"""Test settings: the base settings with fast hashing and in-memory media.

Tests run with the development defaults (``DEBUG=1`` unless the environment says otherwise),
so the development secret key is used, and manage.py commands that tests start in a
subprocess inherit the same environment. pytest-django still runs each test with
``settings.DEBUG`` False. The cache is per-process memory even when ``REDIS_URL`` is set, so
test runs never share throttle counters; the Redis test builds its own cache clients.
"""

import os
import tempfile

os.environ.setdefault("DEBUG", "1")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="gainshare-media-"))  # noqa: F405
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "simulations": None},
}
CACHES = cache_settings("")  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrency tests need SQLite's busy timeout, which
    # shared-cache in-memory databases ignore ("database table is locked").
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"gainshare-test-{os.getpid()}.sqlite3")  # noqa: F405
    }

# Tests that drive a whole month as one user (run, approve, issue) predate four-eyes; the
# tests of the rule turn it on themselves.
FOUR_EYES = False

# Tests deliver webhooks to receivers on 127.0.0.1; the refusal tests turn it off.
WEBHOOK_ALLOW_LOOPBACK = True

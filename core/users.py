"""Finding the user a command names (``--user USERNAME``)."""

from __future__ import annotations

import unicodedata

from django.contrib.auth import get_user_model

MAX_USERNAME = 150  # Django's username length


def active_user_named(username: str):
    """The active user named ``username``, or ``None``. Text no username can be (longer than
    ``MAX_USERNAME``, or with a control character such as NUL, which PostgreSQL refuses in
    a query) names no one, and is not sent to the database."""
    if len(username) > MAX_USERNAME or any(unicodedata.category(c) == "Cc" for c in username):
        return None
    return get_user_model().objects.filter(username=username, is_active=True).first()

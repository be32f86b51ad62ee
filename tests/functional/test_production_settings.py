"""Production settings pass Django's deployment checks and have the safe defaults: staff
two-factor on, a strict Content-Security-Policy, no route to stored files."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "billing.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_check_deploy_reports_nothing(tmp_path):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_requires_staff_mfa_sends_a_strict_policy_and_has_no_media_route(tmp_path, monkeypatch):
    for name in ("REDIS_URL", "CACHE_URL", "REQUIRE_STAFF_MFA", "AXES_FAILURE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    code = """
import json
from django.conf import settings
from django.urls import Resolver404, resolve
try:
    resolve("/media/statements/ACME-2026-000001.pdf")
    media = "routed"
except Resolver404:
    media = "no route"
policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
print(json.dumps({
    "debug": settings.DEBUG,
    "mfa": settings.REQUIRE_STAFF_MFA,
    "media": media,
    "script_src": policy["script-src"],
    "frame_ancestors": policy["frame-ancestors"],
    "csp_middleware": "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE,
    "axes_limit": settings.AXES_FAILURE_LIMIT,
    "cache": settings.CACHES["default"]["BACKEND"],
}))
"""
    result = run_manage("shell", "-c", code, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "debug": False,
        "mfa": True,
        "media": "no route",
        "script_src": ["'self'"],
        "frame_ancestors": ["'none'"],
        "csp_middleware": True,
        "axes_limit": 5,
        "cache": "django.core.cache.backends.locmem.LocMemCache",
    }


def test_the_production_settings_take_their_limits_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AXES_FAILURE_LIMIT", "8")
    monkeypatch.setenv("REQUIRE_STAFF_MFA", "0")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/14")
    monkeypatch.delenv("CACHE_URL", raising=False)
    code = (
        "from django.conf import settings; "
        "print(settings.AXES_FAILURE_LIMIT, settings.REQUIRE_STAFF_MFA, settings.CACHES['default']['BACKEND'])"
    )
    result = run_manage("shell", "-c", code, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "8 False django.core.cache.backends.redis.RedisCache"


def test_a_limit_that_is_not_a_number_stops_the_start_with_its_name(tmp_path, monkeypatch):
    monkeypatch.setenv("PASSWORD_RESET_LIMIT_PER_IP", "ten")
    result = run_manage("check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "PASSWORD_RESET_LIMIT_PER_IP must be a whole number, not 'ten'" in result.stderr

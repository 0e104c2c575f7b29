"""App-wide safeguards: the secret key, the proxy in front, revocable sessions."""

from __future__ import annotations

import os
import re
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

DEVELOPMENT_KEY = "dev-only-change-me"
SECRET_KEY_FILE = "secret_key"


# Secrets that travel in URLs: a resident's tracking link, and token= query arguments.
_SECRET_IN_URL = re.compile(r"(/voorstellen/volg/)[^/?#\s\"]+|((?:^|[?&])token=)[^&#\s\"]+")


def redact(text: str) -> str:
    """``text`` with the secrets of tracking links and token arguments replaced."""
    return _SECRET_IN_URL.sub(lambda m: (m.group(1) or m.group(2)) + "[redacted]", text)


class InsecureConfiguration(RuntimeError):
    """The app would run with a setting anybody can look up (the public development key)."""


def is_development(app: Flask) -> bool:
    """Debug mode, the tests, or PLACEMAKER_ENV=development said out loud."""
    return bool(
        app.debug or app.testing or os.environ.get("PLACEMAKER_ENV", "").lower() == "development"
    )


def init_secret_key(app: Flask) -> None:
    """Use the instance file when no key was configured; refuse the public development key.

    The key signs session cookies: with the key from the source code anybody can sign a
    cookie that logs them in as any user.
    """
    if app.config.get("SECRET_KEY") in (None, "", DEVELOPMENT_KEY):
        key_file = Path(app.instance_path) / SECRET_KEY_FILE
        if key_file.is_file():
            key = key_file.read_text(encoding="ascii").strip()
            if key:
                app.config["SECRET_KEY"] = key
    if app.config.get("SECRET_KEY") in (None, "", DEVELOPMENT_KEY) and not is_development(app):
        raise InsecureConfiguration(
            "No SECRET_KEY: set the SECRET_KEY environment variable, or run script/setup, "
            f"which writes a random key to {Path(app.instance_path) / SECRET_KEY_FILE}. "
            "(The built-in development key works only with FLASK_DEBUG=1 or "
            "PLACEMAKER_ENV=development.)"
        )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = DEVELOPMENT_KEY


def init_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* from this many proxies (PROXY_FIX_* settings; 0 = none).

    Behind a load balancer every request comes from its address: without this, all residents
    would share one rate-limit bucket. Never set it higher than the proxies really in front,
    or clients can choose their own address.
    """
    counts = {
        name: int(app.config.get(f"PROXY_FIX_{name.upper()}", 0) or 0)
        for name in ("for", "proto", "host", "port", "prefix")
    }
    if any(counts.values()):
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=counts["for"],
            x_proto=counts["proto"],
            x_host=counts["host"],
            x_port=counts["port"],
            x_prefix=counts["prefix"],
        )

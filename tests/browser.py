"""What the browser tests share: the two screen sizes, a context that never leaves the host
(not even for base-map tiles), and logging in through the login form."""

from __future__ import annotations

import re
from typing import Any

from tests.factories import DEMO_PASSWORD

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
MANAGER = "gebiedsbeheerder@demo.placemaker.nl"  # DX09 Slotervaart
PLANNER = "planner@demo.placemaker.nl"
ADMIN = "admin@demo.placemaker.nl"


def offline(target: Any, server: str) -> None:
    """Abort every request of ``target`` (a page or a context) that is not for ``server``."""
    target.route(re.compile(r"^(?!" + re.escape(server) + r")"), lambda route: route.abort())


def new_context(browser: Any, server: str, size: str = "desktop", **options: Any) -> Any:
    """A Dutch browser context of a named size (or ``viewport=``) that stays on ``server``."""
    options.setdefault("viewport", SIZES[size])
    context = browser.new_context(locale="nl-NL", **options)
    offline(context, server)
    return context


def log_in(page: Any, server: str, email: str = MANAGER) -> Any:
    """Log ``page`` in as ``email`` (a demo account) and return it."""
    page.goto(f"{server}/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return page


def logged_in_page(context: Any, server: str, email: str = MANAGER) -> Any:
    """A new page of ``context``, logged in as ``email``."""
    return log_in(context.new_page(), server, email)

"""Extension points: a feature provides a capability, another asks for it by its name.

The core knows no feature: the residents' proposal page can show "how many residents a place
here would reach" without importing the gap analysis; ``create_app`` wires the provider in.
Providers live in ``app.extensions`` (code only, never data), so every worker holds the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

_KEY = "placemaker.providers"

# Capabilities, with what a provider is called with and returns.
# "spot_values": [(lon, lat, radius_m | None), ...] -> [{"new_residents_reached": float,
#                "radius_m": float, ...}, ...]: what one new place at each point would reach,
#                for many points at once (a moderation queue asks for every row).
SPOT_VALUES = "spot_values"
# "open_reports": (place_id) -> [{"id", "kind", "kind_label", "created_at", "status"}, ...]:
#               residents' open reports on a place (the place page shows them).
OPEN_REPORTS = "open_reports"
# "data_credit": () -> str: the short credit line of the data on the current map.
DATA_CREDIT = "data_credit"
# "proposal_step": (proposal, event) -> None: told of every step recorded in a proposal's
#                 life, inside its transaction (the mail feature queues a notice for the
#                 resident there and sends it once the transaction commits).
PROPOSAL_STEP = "proposal_step"
# "place_step": (place, change) -> None: told of every later step of a place's life (its
#              status changed after it was created), inside its transaction (the mail feature
#              tells the resident whose proposal became the place).
PLACE_STEP = "place_step"
# "proposal_outcomes": ([proposal_id, ...]) -> {proposal_id: {"status": str, "public": bool,
#                     "url": str | None, "place_name": str | None, "place_status": str | None,
#                     "place_url": str | None}}: what became of proposals, in the page's
#                     language (the area page's "what we heard — what we did").
PROPOSAL_OUTCOMES = "proposal_outcomes"
# "mail_backlog": () -> {"pending": int, "oldest_pending_seconds": int | None, "failed": int}:
#                the mails waiting in the outbox (/healthz shows it; it never fails health).
MAIL_BACKLOG = "mail_backlog"


def provide(app: Flask, capability: str, provider: Callable[..., Any]) -> None:
    """Register ``provider`` for ``capability`` on ``app``; the last one registered wins."""
    app.extensions.setdefault(_KEY, {})[capability] = provider


def provider(capability: str) -> Callable[..., Any] | None:
    """The current app's provider of ``capability``, or None when no feature provides it."""
    return current_app.extensions.get(_KEY, {}).get(capability)

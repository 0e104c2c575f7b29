"""Default configuration. Override with FLASK_* environment variables (see README)."""

from __future__ import annotations

import os

# The two settings every deployment sets; the FLASK_-prefixed form wins when both exist.
SQLALCHEMY_DATABASE_URI = os.environ.get(
    "DATABASE_URL", "postgresql+psycopg://postgres@localhost:5432/placemaker"
)
# Without SECRET_KEY the app reads instance/secret_key (script/setup writes a random one);
# the development key below is refused outside development and the tests (security.py).
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
# Which dependencies /healthz answers 503 for: the app serves without Redis (slower, with
# per-worker rate limits), so by default only the database takes it out of a load balancer.
HEALTH_REQUIRED = tuple(
    name for name in os.environ.get("HEALTH_REQUIRED", "database").split(",") if name
)

# JIT off: PostGIS functions carry high planner costs, so PostgreSQL compiles even 10 ms bbox
# queries, which then take 15-40 ms longer (measured with benchmarks/bench_map.py).
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "connect_args": {"options": "-c jit=off"}}
SQLALCHEMY_RECORD_QUERIES = False

# Residents' photos; larger requests are refused with 413 before they reach a view.
MAX_CONTENT_LENGTH = 6 * 1024 * 1024

BABEL_DEFAULT_LOCALE = "nl"
BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
LANGUAGES = ("nl", "en")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

RATELIMIT_STORAGE_URI = REDIS_URL
RATELIMIT_HEADERS_ENABLED = True
# Redis down: count in each worker's memory instead, and never fail a request over a limit.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
RATELIMIT_SWALLOW_ERRORS = True
RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2}
# How many proxies in front set X-Forwarded-For / -Proto (a load balancer: 1). 0 trusts none.
PROXY_FIX_FOR = int(os.environ.get("PROXY_FIX_FOR", "0"))
PROXY_FIX_PROTO = int(os.environ.get("PROXY_FIX_PROTO", "0"))

# Login attempts per IP: slows down password guessing.
LOGIN_RATE_LIMIT = "10 per minute"
# Failed logins per e-mail address, from any IP: slows down guessing spread over many IPs.
LOGIN_ACCOUNT_RATE_LIMIT = "20 per hour"

# The public gap analysis (anonymous: no login, no API token). Expensive parameters are
# capped, requests are limited per client, and cold analyses run in at most
# GAPS_MAX_CONCURRENT slots over all workers (waiting GAPS_SLOT_WAIT s, then 503 with
# Retry-After), so the registry stays fast while analyses run (benchmarks/README.md).
GAPS_ANON_MAX_P = 25
GAPS_ANON_MAX_RADIUS_M = 1500
GAPS_ANON_RATE_LIMIT = "120 per minute;1200 per hour"
GAPS_MAX_CONCURRENT = 1
GAPS_SLOT_WAIT = 3.0
GAPS_RETRY_AFTER = 5

# Base map. PDOK's BRT-Achtergrondkaart is the Dutch alternative (see README).
TILE_URL = os.environ.get("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
TILE_ATTRIBUTION = os.environ.get(
    "TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-bijdragers',
)
# Data credits come from the sources the recipes imported (data_source); set this only to
# override them with a fixed line.
DATA_ATTRIBUTION = os.environ.get("DATA_ATTRIBUTION", "")

# Address search: PDOK's Locatieserver (e.g. https://api.pdok.nl/bzk/locatieserver/search/v3_1)
# when set; the local BAG index (``flask import-addresses``) answers without it or when it fails.
GEOCODER_URL = os.environ.get("GEOCODER_URL", "")
GEOCODER_TIMEOUT = float(os.environ.get("GEOCODER_TIMEOUT", "3"))

# E-mail (placemaker/mail): smtp://user:pass@host:587?starttls=1 or smtps://user:pass@host:465,
# and the sender. Without both, e-mail is off (a log line and a note for the moderators).
SMTP_URL = os.environ.get("SMTP_URL", "")
MAIL_FROM = os.environ.get("MAIL_FROM", "")
SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "10"))
# Mails wait in the outbox (a table) until the server takes them. Right after the step that
# wrote them the request tries once, waiting at most this long, so a slow server never holds
# a moderator up; `flask mail send` tries the rest after 1, 5, 15, 60, then every 240 minutes,
# and gives up (failed: logged, counted, kept) after MAIL_MAX_ATTEMPTS. Sent mails lose their
# address and text at once; rows sent or failed go after MAIL_OUTBOX_KEEP_DAYS.
SMTP_TIMEOUT_IN_REQUEST = float(os.environ.get("SMTP_TIMEOUT_IN_REQUEST", "3"))
MAIL_RETRY_MINUTES = (1, 5, 15, 60, 240)
MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "10"))
MAIL_OUTBOX_KEEP_DAYS = 30
# Where the site lives, for links in mails sent outside a request (the weekly digest).
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://localhost:8000")

API_PAGE_SIZE = 100
API_MAX_PAGE_SIZE = 10_000

# Residents' proposals. Per IP address, counted in Redis so all workers share them
# (Flask-Limiter syntax).
PROPOSAL_RATE_LIMIT = "10 per hour;30 per day"
SUPPORT_RATE_LIMIT = "60 per hour"
# Supports one network (IPv4 /24, IPv6 /56) may give one proposal: a household or an office
# shares an address; a script clearing its cookies does too.
SUPPORT_PER_NETWORK = 5
PROPOSAL_TRACKING_RATE_LIMIT = "120 per hour"
# How long a tracking link works, and how long after closing personal data is kept.
PROPOSAL_TOKEN_DAYS = 365
PROPOSAL_PERSONAL_DATA_DAYS = 30
PROPOSAL_PHOTO_MAX_BYTES = 5 * 1024 * 1024
PROPOSAL_REASON_MAX = 1000
# "Is this the same one?": places and proposals this close to the spot, in metres.
PROPOSAL_NEARBY_M = 75
# Rows per page of the moderators' queue and the residents' list of open proposals.
MODERATION_PAGE_SIZE = 50
PROPOSALS_PAGE_SIZE = 50

# Places as assets. A place nobody confirmed in use for this many days is due for a visit.
PLACE_STALE_DAYS = 180
# Residents' "I was here, it is used", per IP address (also once per device, place and day).
PLACE_CONFIRM_RATE_LIMIT = "30 per hour"

# Residents' reports on existing places: limits per IP address, link lifetime, text length.
REPORT_RATE_LIMIT = "10 per hour;30 per day"
REPORT_TRACKING_RATE_LIMIT = "120 per hour"
REPORT_TOKEN_DAYS = 365
REPORT_TEXT_MAX = 1000

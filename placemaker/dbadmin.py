"""Creating and dropping whole databases (set-up and tests), via the server's maintenance DB."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL


def _maintenance_engine(url: URL):
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def ensure_database(url: URL, *, template: str | None = None) -> bool:
    """Create the database of ``url`` unless it exists. Returns whether it was created."""
    engine = _maintenance_engine(url)
    try:
        with engine.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            )
            if exists:
                return False
            quoted = conn.dialect.identifier_preparer.quote(url.database)
            quote = conn.dialect.identifier_preparer.quote
            clause = f" TEMPLATE {quote(template)}" if template else ""
            conn.execute(text(f"CREATE DATABASE {quoted}{clause}"))
            return True
    finally:
        engine.dispose()


def drop_database(url: URL) -> None:
    engine = _maintenance_engine(url)
    try:
        with engine.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote(url.database)
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        engine.dispose()

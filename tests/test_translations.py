"""Every message the code and the templates show has its Dutch translation (English is the
source language): a string added without one would reach Dutch pages in English."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "placemaker" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"


def test_every_message_has_a_dutch_translation(tmp_path):
    template = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(template), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as extracted, CATALOG.open("rb") as dutch:
        wanted, catalog = read_po(extracted), read_po(dutch)
    assert len(wanted) > 500  # the extraction found the app's messages
    missing = []
    for message in wanted:
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = found.string if found is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            path, line = message.locations[0]
            missing.append(f"{path}:{line}: {message.id!r}")
    assert missing == []

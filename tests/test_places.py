"""The registry service: every change recorded, and no silent overwrite."""

from __future__ import annotations

import pytest

from placemaker.errors import Conflict, InvalidInput
from placemaker.places.service import Actor, history, update_place


def test_changes_are_recorded_with_old_and_new_values(app_ctx, make_place, make_user):
    user = make_user()
    place = make_place(name="Bankje Postjesweg")
    actor = Actor(user.email, user.id)
    assert update_place(place, {"name": "Bankje bij de OBA"}, actor)
    assert update_place(place, {"lon": 4.8425, "lat": 52.3656}, actor)
    assert update_place(place, {"status": "temporarily_closed"}, actor)
    assert not update_place(place, {"name": "Bankje bij de OBA"}, actor)  # nothing changed
    entries = history(place)
    assert [e.action for e in entries] == ["created", "updated", "moved", "status"]
    assert entries[1].old_values == {"name": "Bankje Postjesweg"}
    assert entries[1].new_values == {"name": "Bankje bij de OBA"}
    assert entries[2].new_values == {"lon": 4.8425, "lat": 52.3656}
    assert entries[3].user_id == user.id


def test_stale_version_is_a_conflict(app_ctx, make_place):
    place = make_place()
    version = place.version
    update_place(place, {"name": "Eerste"}, Actor("a"), expected_version=version)
    with pytest.raises(Conflict, match="Somebody else changed this place"):
        update_place(place, {"name": "Tweede"}, Actor("b"), expected_version=version)
    assert place.name == "Eerste"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": "  "}, "a place needs a name"),
        ({"name": "x" * 201}, "a name has at most 200 characters"),
        ({"lon": 3.0, "lat": 52.5}, "coordinates (3, 52.5) lie outside the Netherlands"),
        ({"lon": "oost", "lat": 52.5}, "longitude and latitude must be numbers"),
        ({"kind_code": "castle"}, "unknown place kind 'castle'"),
        (
            {"status": "closed"},
            "status must be one of planned, under_construction, active, temporarily_closed, gone",
        ),
    ],
)
def test_invalid_values_change_nothing(app_ctx, make_place, values, message):
    place = make_place(name="Bankje")
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        update_place(place, values, Actor("test"))
    assert place.name == "Bankje" and len(history(place)) == 1

"""Forms of the registry pages (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from placemaker.places.models import PlaceStatus
from placemaker.places.service import DESCRIPTION_MAX, NAME_MAX


def parse_number(raw: str | None) -> float | None:
    """A coordinate as typed (a decimal comma is fine); NaN when it is no number."""
    if raw is None or str(raw).strip() == "":
        return None
    try:
        return float(str(raw).strip().replace(",", "."))
    except ValueError:
        return float("nan")


class PlaceForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("A place needs a name.")),
            Length(
                max=NAME_MAX, message=_l("A name has at most %(max)d characters.", max=NAME_MAX)
            ),
        ],
    )
    kind_code = SelectField(_l("Kind"), validators=[DataRequired()])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=DESCRIPTION_MAX)]
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=10)])
    owner_org = StringField(_l("Owner (organisation)"), validators=[Optional(), Length(max=200)])
    keeper = StringField(_l("Keeper (contact role)"), validators=[Optional(), Length(max=200)])
    budget_line = StringField(_l("Cost or budget line"), validators=[Optional(), Length(max=200)])
    opening_hours = StringField(
        _l("Opening hours (OpenStreetMap syntax)"), validators=[Optional(), Length(max=500)]
    )
    lon = StringField(_l("Longitude"))
    lat = StringField(_l("Latitude"))
    version = HiddenField()
    # One per form shown: sending the same form again adds no second place.
    submission_key = HiddenField(validators=[Optional(), Length(max=64)])

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data,
            "kind_code": self.kind_code.data,
            "description": self.description.data,
            "address": self.address.data,
            "postcode": self.postcode.data,
            "owner_org": self.owner_org.data,
            "keeper": self.keeper.data,
            "budget_line": self.budget_line.data,
            "opening_hours": self.opening_hours.data,
            "lon": parse_number(self.lon.data),
            "lat": parse_number(self.lat.data),
        }

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


STATUS_LABELS = {
    PlaceStatus.planned.value: _l("Planned"),
    PlaceStatus.under_construction.value: _l("Under construction"),
    PlaceStatus.active.value: _l("Open"),
    PlaceStatus.temporarily_closed.value: _l("Temporarily closed"),
    PlaceStatus.gone.value: _l("Gone"),
}


class StatusForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(k, v) for k, v in STATUS_LABELS.items()],
        validators=[DataRequired()],
    )
    version = HiddenField()

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None

"""The page where planners and admins create and revoke their API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from placemaker.auth import role_required
from placemaker.errors import InvalidInput
from placemaker.extensions import db
from placemaker.tokens import service

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=service.NAME_MAX)])


class RevokeForm(FlaskForm):
    pass


def _page(form: TokenForm, status: int = 200, new_token: str | None = None):
    html = render_template(
        "tokens/index.html",
        form=form,
        tokens=service.visible_tokens(current_user),
        new_token=new_token,
    )
    response = make_response(html, status)
    # The page may show a new token once: never cache it anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@role_required("planner")
def index():
    return _page(TokenForm())


@bp.post("")
@role_required("planner")
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        _token, raw = service.create_token(current_user, form.name.data or "")
    except InvalidInput as exc:
        form.name.errors = [exc.message]
        return _page(form, 400)
    db.session.commit()
    # Shown in this response only (no redirect): the plain token is stored nowhere.
    return _page(TokenForm(formdata=None), 201, new_token=raw)


@bp.post("/<int:token_id>/revoke")
@role_required("planner")
def revoke(token_id: int):
    if not RevokeForm().validate_on_submit():
        raise InvalidInput("The form expired; reload the page and try again.")
    token = service.revoke_token(token_id, current_user)
    db.session.commit()
    flash(_l("Token “%(name)s” is revoked.", name=token.name))
    return redirect(url_for("tokens.index"), code=303)

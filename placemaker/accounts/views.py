"""Log in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from placemaker.accounts.service import authenticate
from placemaker.extensions import config_limit, db, limiter

bp = Blueprint("accounts", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str:
    # Only paths on our own site: never an open redirect, never a header split (CR/LF) or
    # a backslash some browsers read as a slash.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and target.isprintable()
        and "\\" not in target
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("pages.index") if "pages.index" in _endpoints() else "/"


def _endpoints() -> set[str]:

    return set(current_app.view_functions)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(config_limit("LOGIN_RATE_LIMIT"), methods=["POST"])
# Per account too, over all addresses: only failed attempts count (a login redirects, 303).
@limiter.limit(
    config_limit("LOGIN_ACCOUNT_RATE_LIMIT"),
    methods=["POST"],
    key_func=lambda: "account:" + (request.form.get("email") or "").strip().lower(),
    deduct_when=lambda response: response.status_code != 303,
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), code=303)
        form.password.errors.append(_l("Unknown e-mail address or wrong password."))
    return render_template(
        "accounts/login.html", form=form
    ), 200 if request.method == "GET" or not form.errors else 400


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # Ends this user's every session, also a cookie copied elsewhere.
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    flash(_l("You are logged out."))
    return redirect("/", code=303)

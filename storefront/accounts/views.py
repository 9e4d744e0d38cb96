"""Sign-up, log-in, log-out, email verification, password reset and the account page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..web.access import LOGGED_IN, PUBLIC, access, safe_next
from ..web.login_limits import LoginAttempt, LoginLimits
from ..web.ratelimit import RateLimiter, in_about, key_part, paused
from ..web.services import client_ip, find_service
from .access import current_user
from .actor import actor
from .credentials import TokenInvalid
from .forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    DeleteAccountForm,
    EmailOnlyForm,
    LoginForm,
    ResetPasswordForm,
    SignUpForm,
)
from .models import User
from .services import AccountError, AccountService
from .sessions import SessionService, UserSession

bp = Blueprint("accounts", __name__)
ViewResult = Response | str | tuple[str, int]


def _field_error(form: FlaskForm, error: AccountError) -> None:
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _too_many(retry_after: int) -> Response:
    page = render_template(
        "error.html",
        code=429,
        title="Too many attempts",
        message="For your account's safety we pause after several tries. "
        f"Try again in {in_about(retry_after)}.",
    )
    return paused(Response(page), retry_after)


def _limited(action: str, email: str | None = None) -> Response | None:
    keys = [f"{action}:ip:{key_part(client_ip())}"]
    if email:
        keys.append(f"{action}:account:{key_part(email)}")
    verdict = find_service(RateLimiter).hit(*keys)
    return None if verdict.allowed else _too_many(verdict.retry_after)


def _log_in(user: User) -> None:
    # A fresh session on every log-in: nothing an attacker planted before it survives.
    previous: UserSession | None = g.get("user_session")
    sessions = find_service(SessionService)
    if previous is not None:
        sessions.end(previous)
    started = sessions.start(user, user_agent=request.user_agent.string, ip_hash=actor().ip_hash)
    session.clear()
    session["uid"] = user.id
    session["sid"] = started.token
    session["av"] = user.auth_version
    session.permanent = True
    g.user_session = started.row


def _current_session() -> UserSession | None:
    found: UserSession | None = g.get("user_session")
    return found


@bp.route("/signup", methods=["GET", "POST"])
@access(PUBLIC)
def signup() -> ViewResult:
    form = SignUpForm()
    if request.method == "POST":
        if refused := _limited("signup", form.email.data):
            return refused
        if form.validate():
            try:
                find_service(AccountService).sign_up(
                    form.email.data, form.password.data, form.display_name.data, actor()
                )
            except AccountError as error:
                _field_error(form, error)
            else:
                # The same page whether or not the address had an account already (its owner gets a
                # notice instead): the form must not tell strangers who has an account here.
                return render_template("accounts/signup_sent.html", email=form.email.data.strip())
        return render_template("accounts/signup.html", form=form), 422
    return render_template("accounts/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
def login() -> ViewResult:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
        return render_template("accounts/login.html", form=form)
    if form.validate():
        service = find_service(AccountService)
        owner = service.by_email(form.email.data.strip())
        known = find_service(SessionService).known_address(owner, actor().ip_hash)
        attempt = LoginAttempt(form.email.data, client_ip(), known_address=known)
        limits = find_service(LoginLimits)
        verdict = limits.check(attempt)
        if not verdict.allowed:
            return _too_many(verdict.retry_after)
        try:
            user = service.authenticate(form.email.data, form.password.data, actor())
        except AccountError as error:
            limits.failed(attempt)
            _field_error(form, error)
        else:
            limits.succeeded(attempt)
            _log_in(user)
            # Artists land on their releases; fans where they always did. A page asked for comes first.
            landing = url_for("dashboard.index") if user.artist_memberships else url_for("catalog.home")
            return redirect(safe_next(form.next.data, landing))
    return render_template("accounts/login.html", form=form), 422


@bp.post("/logout")
@access(PUBLIC)
def logout() -> Response:
    if ConfirmForm().validate_on_submit():
        if (ending := _current_session()) is not None:
            find_service(SessionService).end(ending)
        session.clear()
        flash("You are logged out.", "info")
    return redirect(url_for("catalog.home"))


@bp.route("/account/unverified", methods=["GET", "POST"])
@access(LOGGED_IN)
def unverified() -> ViewResult:
    user = current_user()
    assert user is not None
    form = ConfirmForm()
    if user.is_verified:
        return redirect(url_for("accounts.account"))
    if request.method == "POST" and form.validate():
        if refused := _limited("verify-resend", user.email):
            return refused
        find_service(AccountService).send_verification(user)
        flash(f"We sent a new link to {user.email}.", "success")
        return redirect(url_for("accounts.unverified"))
    return render_template("accounts/unverified.html", form=form, user=user)


@bp.route("/verify/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def verify_email(token: str) -> ViewResult:
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        try:
            user = find_service(AccountService).verify_email(token)
        except TokenInvalid as error:
            return render_template("accounts/token_problem.html", message=error.reason), 400
        flash(
            f"Thank you: {user.email} is confirmed." + ("" if current_user() else " You can log in now."),
            "success",
        )
        return redirect(url_for("accounts.account") if current_user() else url_for("accounts.login"))
    return render_template(
        "accounts/confirm.html",
        form=form,
        title="Confirm your email address",
        button="Confirm my email address",
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
@access(PUBLIC)
def forgot_password() -> ViewResult:
    form = EmailOnlyForm()
    if request.method == "POST":
        if refused := _limited("reset", form.email.data):
            return refused
        if form.validate():
            find_service(AccountService).request_password_reset(form.email.data, actor())
            return render_template("accounts/reset_sent.html", email=form.email.data)
        return render_template("accounts/forgot.html", form=form), 422
    return render_template("accounts/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def reset_password(token: str) -> ViewResult:
    form = ResetPasswordForm()
    service = find_service(AccountService)
    try:
        service.user_for_reset(token)
    except TokenInvalid as error:
        return render_template("accounts/token_problem.html", message=error.reason), 400
    if request.method == "POST":
        if refused := _limited("reset-confirm"):
            return refused
        if form.validate():
            try:
                user = service.reset_password(token, form.password.data, actor())
            except AccountError as error:
                _field_error(form, error)
            else:
                _log_in(user)
                flash("Your password is changed and you are logged in.", "success")
                return redirect(url_for("accounts.account"))
        return render_template("accounts/reset.html", form=form), 422
    return render_template("accounts/reset.html", form=form)


def _account_page(
    password_form: ChangePasswordForm | None = None, email_form: ChangeEmailForm | None = None
) -> str:
    user = current_user()
    assert user is not None
    return render_template(
        "accounts/account.html",
        password_form=password_form or ChangePasswordForm(),
        email_form=email_form or ChangeEmailForm(),
        sessions_form=ConfirmForm(),
        active_sessions=find_service(SessionService).active_for(user),
        this_session=_current_session(),
    )


@bp.get("/account")
@access(LOGGED_IN)
def account() -> ViewResult:
    return _account_page()


@bp.post("/account/sessions/<int:session_id>/end")
@access(LOGGED_IN)
def end_session(session_id: int) -> ViewResult:
    user = current_user()
    assert user is not None
    if not ConfirmForm().validate():
        abort(400)
    sessions = find_service(SessionService)
    found = next((s for s in sessions.active_for(user) if s.id == session_id), None)
    if found is None:
        abort(404)
    sessions.end(found)
    if found is _current_session():
        session.clear()
        flash("You are logged out.", "info")
        return redirect(url_for("accounts.login"))
    flash(f"The session on {found.user_agent} is ended.", "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/sessions/end-all")
@access(LOGGED_IN)
def end_all_sessions() -> ViewResult:
    user = current_user()
    assert user is not None
    if not ConfirmForm().validate():
        abort(400)
    find_service(SessionService).end_all(user)
    session.clear()
    flash("You are logged out everywhere, on this device too.", "info")
    return redirect(url_for("accounts.login"))


@bp.post("/account/password")
@access(LOGGED_IN)
def change_password() -> ViewResult:
    user = current_user()
    assert user is not None
    form = ChangePasswordForm()
    if form.validate():
        try:
            find_service(AccountService).change_password(
                user, form.current_password.data, form.new_password.data, actor(), keep=_current_session()
            )
        except AccountError as error:
            _field_error(form, error)
        else:
            session["av"] = user.auth_version
            flash("Your password is changed. Other devices are logged out.", "success")
            return redirect(url_for("accounts.account"))
    return _account_page(password_form=form), 422


@bp.post("/account/email")
@access(LOGGED_IN)
def change_email() -> ViewResult:
    user = current_user()
    assert user is not None
    form = ChangeEmailForm()
    if refused := _limited("change-email", user.email):
        return refused
    if form.validate():
        try:
            new_email = find_service(AccountService).request_email_change(
                user, form.new_email.data, form.password.data, actor()
            )
        except AccountError as error:
            _field_error(form, error)
        else:
            flash(f"We sent a link to {new_email}. Your address changes when you open it.", "success")
            return redirect(url_for("accounts.account"))
    return _account_page(email_form=form), 422


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def confirm_email_change(token: str) -> ViewResult:
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        try:
            user = find_service(AccountService).confirm_email_change(token, actor())
        except TokenInvalid as error:
            return render_template("accounts/token_problem.html", message=error.reason), 400
        flash(f"Your email address is now {user.email}.", "success")
        return redirect(url_for("accounts.account") if current_user() else url_for("accounts.login"))
    return render_template(
        "accounts/confirm.html", form=form, title="Confirm your new email address", button="Use this address"
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@access(LOGGED_IN)
def delete_account() -> ViewResult:
    user = current_user()
    assert user is not None
    form = DeleteAccountForm()
    service = find_service(AccountService)
    if request.method == "POST":
        if form.validate():
            try:
                service.delete_account(user, form.password.data, actor())
            except AccountError as error:
                _field_error(form, error)
            else:
                session.clear()
                flash("Your account is deleted.", "info")
                return redirect(url_for("catalog.home"))
        return render_template("accounts/delete.html", form=form, blocking=service.sole_owner_of(user)), 422
    return render_template("accounts/delete.html", form=form, blocking=service.sole_owner_of(user))

"""Curation pages: submitting for review, the queue, the review page, decisions, reports, appeals, the log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..accounts.access import REVIEWER, current_user
from ..accounts.actor import actor
from ..accounts.models import Label, User
from ..db import get_session
from ..events import record_event
from ..releases.access import ARTIST_RELEASE
from ..releases.models import Release, ReleaseStatus, Upload, UploadKind, UploadStatus
from ..screening.state import OverrideError, record_override
from ..storage.interfaces import ObjectStorage
from ..web.access import LOGGED_IN, PUBLIC, access
from ..web.inputs import query_id
from ..web.ratelimit import RateLimiter
from ..web.services import find_service
from .approvals import approval_refusal, can_review
from .context import review_panels
from .forms import AppealDecisionForm, AppealForm, DecisionForm, ReportForm, TakedownForm
from .models import REASON_LABELS, Appeal, Decision, ReasonCode, Report
from .services import CurationError, CurationService, QueueFilter

bp = Blueprint("curation", __name__)
PREVIEW_SECONDS = 3600


def _me() -> User:
    user = current_user()
    assert user is not None
    return user


def _reviewable(release_id: int) -> Release:
    release = get_session().get(Release, release_id)
    if release is None:
        abort(404)
    if not can_review(_me(), release):
        abort(403)
    return release


def _form_error(form: FlaskForm, error: CurationError) -> None:
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


# -- the artist's side ------------------------------------------------------------------------------------
@bp.post("/artists/<slug>/releases/<int:release_id>/submit")
@access(ARTIST_RELEASE)
def submit(release: Release) -> ResponseReturnValue:
    if FlaskForm().validate_on_submit():
        try:
            find_service(CurationService).submit(release, actor())
        except CurationError as error:
            flash(error.message, "error")
        else:
            flash("Submitted for review. We'll write to you when a curator has decided.", "success")
    return redirect(
        url_for("releases.workspace_page", slug=release.artist.slug, release_id=release.id, step="review")
    )


@bp.route("/artists/<slug>/releases/<int:release_id>/appeal", methods=["GET", "POST"])
@access(ARTIST_RELEASE)
def appeal(release: Release) -> ResponseReturnValue:
    service = find_service(CurationService)
    decision = service.appealable(release)
    form = AppealForm()
    if request.method == "POST" and form.validate():
        try:
            service.appeal(release, _me(), actor(), form.text.data or "")
        except CurationError as error:
            _form_error(form, error)
        else:
            flash("Your appeal is sent. A platform curator will answer it.", "success")
            return redirect(
                url_for(
                    "releases.workspace_page", slug=release.artist.slug, release_id=release.id, step="review"
                )
            )
        return render_template("curation/appeal.html", release=release, decision=decision, form=form), 422
    return render_template("curation/appeal.html", release=release, decision=decision, form=form)


# -- reviewers -------------------------------------------------------------------------------------------
@bp.get("/review")
@access(REVIEWER)
def queue() -> str:
    me = _me()
    filters = QueueFilter(
        label_id=query_id("label"),
        status=request.args.get("status", "in_review"),
        severity=request.args.get("severity", ""),
    )
    releases = find_service(CurationService).queue(me, filters)
    panels = review_panels()
    rows = [(release, panels.severity(release)) for release in releases]
    if filters.severity:
        rows = [(r, s) for r, s in rows if s == filters.severity]
    labels = (
        list(get_session().scalars(select(Label).order_by(Label.name)))
        if me.is_admin
        else [s.label for s in me.label_memberships]
    )
    return render_template(
        "curation/queue.html", rows=rows, filters=filters, labels=labels, health=panels.health()
    )


@bp.get("/review/releases/<int:release_id>")
@access(REVIEWER)
def review(release_id: int) -> str | tuple[str, int]:
    release = _reviewable(release_id)
    return _review_page(release, DecisionForm(), TakedownForm())


def _review_page(
    release: Release, form: DecisionForm, takedown: TakedownForm, status: int = 200
) -> str | tuple[str, int]:
    service = find_service(CurationService)
    storage = find_service(ObjectStorage)
    previews = {}
    for track in release.tracks:
        if track.master is not None and track.master.final_key:
            # Until the audio pipeline makes previews, curators listen to the master itself.
            previews[track.id] = storage.presign_download(
                track.master.final_key,
                expires_in=PREVIEW_SECONDS,
                inline=True,
                content_type=track.master.info.get("content_type"),
            )
    evidence = [
        u for u in release.uploads if u.kind == UploadKind.EVIDENCE and u.status == UploadStatus.READY
    ]
    appeals = list(get_session().scalars(select(Appeal).where(Appeal.release_id == release.id)))
    page = render_template(
        "curation/review.html",
        release=release,
        form=form,
        takedown=takedown,
        previews=previews,
        evidence=evidence,
        history=service.history(release),
        reports=service.open_reports(release),
        appeals=appeals,
        appeal_form=AppealDecisionForm(),
        panels=review_panels().for_release(release),
        reasons=REASON_LABELS,
    )
    return (page, status) if status != 200 else page


@bp.post("/review/releases/<int:release_id>/decide")
@access(REVIEWER)
def decide(release_id: int) -> ResponseReturnValue:
    release = _reviewable(release_id)
    form = DecisionForm()
    if form.validate():
        reason = ReasonCode(form.reason.data) if form.reason.data else None
        try:
            find_service(CurationService).decide(
                release, _me(), actor(), Decision(form.decision.data), reason, form.message.data or ""
            )
        except CurationError as error:
            _form_error(form, error)
        else:
            flash(f"Decision recorded for “{release.title}”.", "success")
            return redirect(url_for("curation.queue"))
    return _review_page(release, form, TakedownForm(), 422)


@bp.post("/review/releases/<int:release_id>/screening-override")
@access(REVIEWER)
def screening_override(release_id: int) -> ResponseReturnValue:
    """A curator lets files without a screening result through the gate, saying why on the record."""
    release = _reviewable(release_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    me = _me()
    # Only someone whose approval would count may waive screening: the same people-based rules apply.
    refusal = approval_refusal(me, release)
    try:
        if refusal:
            raise OverrideError(refusal)
        record_override(get_session(), release, me.id, request.form.get("reason", ""), actor().ip_hash)
    except OverrideError as error:
        flash(error.message, "error")
    else:
        flash("The override is recorded; it will show on the certificate.", "success")
    return redirect(url_for("curation.review", release_id=release.id))


@bp.post("/review/releases/<int:release_id>/takedown")
@access(REVIEWER)
def takedown(release_id: int) -> ResponseReturnValue:
    release = _reviewable(release_id)
    form = TakedownForm()
    if form.validate():
        reason = ReasonCode(form.reason.data) if form.reason.data else None
        try:
            find_service(CurationService).decide(
                release, _me(), actor(), Decision.TAKE_DOWN, reason, form.message.data or ""
            )
        except CurationError as error:
            _form_error(form, error)
        else:
            flash(
                f"“{release.title}” is taken down; its buyers are told and refunds are requested.", "success"
            )
            return redirect(url_for("curation.review", release_id=release.id))
    return _review_page(release, DecisionForm(), form, 422)


@bp.post("/review/releases/<int:release_id>/evidence/<int:upload_id>")
@access(REVIEWER)
def open_evidence(release_id: int, upload_id: int) -> ResponseReturnValue:
    """Every look at private evidence is recorded, so it is a POST that answers with a short-lived link."""
    release = _reviewable(release_id)
    upload = get_session().get(Upload, upload_id)
    if (
        upload is None
        or upload.release_id != release.id
        or upload.kind != UploadKind.EVIDENCE
        or not upload.final_key
    ):
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    record_event(
        get_session(),
        "release:evidence_viewed",
        subject_type="release",
        subject_id=release.id,
        actor_id=_me().id,
        ip_hash=actor().ip_hash,
        data={"upload_id": upload.id},
    )
    link = find_service(ObjectStorage).presign_download(
        upload.final_key, expires_in=300, filename=upload.original_filename, content_type=upload.content_type
    )
    return redirect(link, code=303)


@bp.post("/review/reports/<int:report_id>/dismiss")
@access(REVIEWER)
def dismiss_report(report_id: int) -> ResponseReturnValue:
    report = get_session().get(Report, report_id)
    if report is None:
        abort(404)
    _reviewable(report.release_id)
    if FlaskForm().validate_on_submit():
        find_service(CurationService).dismiss_report(report, _me())
    return redirect(url_for("curation.review", release_id=report.release_id))


@bp.post("/review/appeals/<int:appeal_id>/decide")
@access(REVIEWER)
def decide_appeal(appeal_id: int) -> ResponseReturnValue:
    found = get_session().get(Appeal, appeal_id)
    if found is None:
        abort(404)
    # The appeal id comes from the URL: only someone who may see its release learns that it exists.
    _reviewable(found.release_id)
    form = AppealDecisionForm()
    if form.validate():
        try:
            find_service(CurationService).decide_appeal(
                found, _me(), actor(), overturn=form.outcome.data == "overturn", answer=form.answer.data or ""
            )
        except CurationError as error:
            flash(error.message, "error")
        else:
            flash("The appeal is decided.", "success")
    return redirect(url_for("curation.review", release_id=found.release_id))


# -- fans and the public ---------------------------------------------------------------------------------
@bp.post("/releases/<int:release_id>/report")
@access(LOGGED_IN)
def report(release_id: int) -> ResponseReturnValue:
    release = get_session().get(Release, release_id)
    if release is None or release.status != ReleaseStatus.APPROVED:
        abort(404)
    me = _me()
    verdict = find_service(RateLimiter).hit(f"report:account:{me.id}")
    back = url_for("catalog.release_page", slug=release.artist.slug, release_slug=release.slug)
    if not verdict.allowed:
        flash("You have sent many reports in a short time. Please wait a few minutes.", "error")
        return redirect(back), 429
    form = ReportForm()
    if form.validate():
        try:
            find_service(CurationService).report(
                release, me, actor(), form.reason.data or "", form.details.data or ""
            )
        except CurationError as error:
            flash(error.message, "error")
            return redirect(back + "#report")
        flash("Thank you. A curator will look at this release.", "success")
    else:
        flash("Tell us what you noticed.", "error")
    return redirect(back)


@bp.get("/decisions")
@access(PUBLIC)
def decision_log() -> str:
    return render_template(
        "curation/log.html", decisions=find_service(CurationService).public_log(), reasons=REASON_LABELS
    )


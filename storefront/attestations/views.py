"""Signing the attestation, label countersignatures, public certificates, the platform key, verification."""

from __future__ import annotations

import json
from contextlib import closing
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from ..accounts.access import LABEL_OWNER, LABEL_STAFF, current_user
from ..accounts.actor import actor
from ..accounts.models import Label, MemberRole, User
from ..config import Settings
from ..db import get_session
from ..mail.services import MailService
from ..releases import windows
from ..releases.access import ARTIST_OWN_RELEASE
from ..releases.models import Release, ReleaseStatus
from ..web.access import PUBLIC, access
from ..web.inputs import query_id
from ..web.services import client_ip, external_url, find_service
from .ddex.export import DdexExportError
from .documents import credits_by_element, release_binding
from .forms import (
    CountersignForm,
    RequirementForm,
    VerifyForm,
    attestation_form,
    data_from_document,
    declarations_of,
    ticked_statements,
)
from .manifests.lookup import StoredEntries
from .manifests.status import describe as describe_status
from .models import Attestation
from .notices import tell_countersigners
from .pages import attestation_state, badge_info, document_view
from .policy import ASSISTIVE_TOOL_HINTS, CURRENT_VERSION, ELEMENTS, POLICIES, credit_findings
from .services import AttestationRefused, AttestationService, Problem, SigningRequest
from .verification import (
    CertificateFormatError,
    FileDigest,
    Keyring,
    digest_stream,
    keyring_for,
    parse_certificate,
    parse_hash_lines,
    verify_certificate,
)

bp = Blueprint("provenance", __name__)
ViewResult = Response | str | tuple[str, int]
WORKSPACE = "/artists/<slug>/releases/<int:release_id>/attestation"
LABEL_BASE = "/labels/<slug>/attestations"
PUBLISHED = (ReleaseStatus.APPROVED, ReleaseStatus.TAKEN_DOWN)
# Outside production an instance may have no DDEX membership yet: its messages carry this placeholder
# party id and say they are test messages. Production requires STOREFRONT_DDEX_SENDER_DPID.
DEFAULT_DPID = "PADPIDAVELVETSELFHOSTED"


@bp.record_once
def _install_keyring(state: BlueprintSetupState) -> None:
    # Built (the key file is not read yet) at start: a malformed retired key stops the app, not a check later.
    keyring_for(state.app.extensions, state.app.extensions["storefront"].settings)


def _keyring() -> Keyring:
    return find_service(Keyring)


def _service() -> AttestationService:
    return find_service(AttestationService)


# -- signing ----------------------------------------------------------------------------------------------
def _me() -> User:
    user = current_user()
    assert user is not None  # asked only behind rules that require a signed-in user
    return user


def _place(form: Any, problem: Problem) -> None:
    field = None
    where = problem.where or ""
    kind, _, rest = where.partition(":")
    if kind in ("legal_name", "level"):
        field = form[kind]
    elif kind == "statement":
        field = form[f"statement_{rest}"]
    elif kind == "element":
        field = form[f"el_{rest}"].form.ai
    elif kind == "track":
        track_id, _, key = rest.partition(":")
        field = form[f"track_{track_id}"].form[key].form.ai
    if field is None:
        form.form_errors.append(problem.message)
    else:
        field.errors = [*field.errors, problem.message]


def _sign_page(
    release: Release, form: Any, *, status: int = 200, ineligible: list[str] | None = None
) -> ViewResult:
    service = _service()
    credited = credits_by_element({"contributors": release_binding(release)["contributors"]})
    label = release.label
    page = render_template(
        "provenance/sign.html",
        artist=release.artist,
        release=release,
        form=form,
        state=attestation_state(release),
        history=service.history(release),
        policy=POLICIES[CURRENT_VERSION],
        elements=ELEMENTS,
        credited=credited,
        hints=ASSISTIVE_TOOL_HINTS,
        label_requires_embodied=label is not None and service.requires_embodied(label.id),
        ineligible=ineligible
        if ineligible is not None
        else [f.message for f in credit_findings(c.name for c in release.contributors)],
    )
    return (page, status) if status != 200 else page


@bp.route(WORKSPACE, methods=["GET", "POST"])
@access(ARTIST_OWN_RELEASE)
def sign(release: Release) -> ViewResult:
    track_ids = [t.id for t in release.tracks]
    if request.method == "GET":
        service = _service()
        current = service.current(release)
        positions = {t.position: t.id for t in release.tracks}
        data = data_from_document(current.document, positions) if current else {}
        if release.label_id is not None and service.requires_embodied(release.label_id):
            data["level"] = "embodied"
        return _sign_page(release, attestation_form(track_ids, data=data))
    form = attestation_form(track_ids)
    if not form.validate():
        return _sign_page(release, form, status=422)
    declarations, track_declarations = declarations_of(form, track_ids)
    signing = SigningRequest(
        legal_name=form.legal_name.data or "",
        level=form.level.data or "standard",
        ticked=ticked_statements(form),
        declarations=declarations,
        track_declarations=track_declarations,
    )
    try:
        signed = _service().sign(release, _me(), signing, client_ip=client_ip(), actor=actor())
    except AttestationRefused as refused:
        for problem in refused.problems:
            _place(form, problem)
        return _sign_page(release, form, status=422, ineligible=[p.message for p in refused.ineligible])
    # Sent after the commit, like all mail: the label's staff learn that it waits for their word.
    tell_countersigners(find_service(MailService), signed, external_url)
    flash("Signed. The platform countersigned your attestation.", "success")
    workspace = url_for(
        "releases.workspace_page", slug=release.artist.slug, release_id=release.id, step="attestation"
    )
    return redirect(workspace + "#attestation")


# -- labels -----------------------------------------------------------------------------------------------
def _label_attestation(label: Label, attestation_id: int) -> Attestation:
    attestation = get_session().get(Attestation, attestation_id)
    if attestation is None or attestation.label_id != label.id:
        abort(404)
    return attestation


def _is_owner(label: Label) -> bool:
    user = current_user()
    return any(s.user_id == (user.id if user else None) and s.role == MemberRole.OWNER for s in label.staff)


@bp.get(LABEL_BASE)
@access(LABEL_STAFF)
def label_queue(label: Label) -> str:
    service = _service()
    form = RequirementForm(formdata=None, require_embodied=service.requires_embodied(label.id))
    return render_template(
        "provenance/label_queue.html",
        label=label,
        waiting=service.awaiting_countersignature(label),
        form=form,
        is_owner=_is_owner(label),
    )


@bp.post(LABEL_BASE + "/requirement")
@access(LABEL_OWNER)
def label_requirement(label: Label) -> Response:
    form = RequirementForm()
    if form.validate():
        _service().set_requirement(label, require_embodied=bool(form.require_embodied.data), actor=actor())
        flash("Saved.", "success")
    return redirect(url_for("provenance.label_queue", slug=label.slug))


@bp.route(LABEL_BASE + "/<int:attestation_id>/countersign", methods=["GET", "POST"])
@access(LABEL_STAFF)
def countersign(label: Label, attestation_id: int) -> ViewResult:
    attestation = _label_attestation(label, attestation_id)
    form = CountersignForm()
    status = 200
    if request.method == "POST":
        if form.validate() and form.confirm.data:
            try:
                _service().countersign(attestation, label, _me(), actor())
            except AttestationRefused as refused:
                form.form_errors.extend(p.message for p in refused.problems)
            else:
                flash(f"Countersigned “{attestation.release.title}”.", "success")
                return redirect(url_for("provenance.label_queue", slug=label.slug))
        elif form.validate():
            form.confirm.errors = ["Tick the box to countersign."]
        status = 422
    page = render_template(
        "provenance/countersign.html",
        label=label,
        attestation=attestation,
        form=form,
        state=attestation_state(attestation.release, attestation),
    )
    return (page, status) if status != 200 else page


# -- the public record ------------------------------------------------------------------------------------
def _published(release_id: int) -> Release:
    release = get_session().get(Release, release_id)
    if release is None or release.status not in PUBLISHED:
        abort(404)
    return release


@bp.get("/releases/<int:release_id>/certificate")
@access(PUBLIC)
def certificate_page(release_id: int) -> ViewResult:
    release = _published(release_id)
    certificate = _service().certificate(release)
    if certificate is None:
        abort(404)
    if release.status == ReleaseStatus.TAKEN_DOWN:
        return render_template("provenance/withdrawn.html", release=release), 410
    return render_template(
        "provenance/certificate.html",
        release=release,
        cert=certificate,
        status_words=describe_status(certificate["status_statement"]["document"]),
        view=document_view(certificate["document"]),
        badge=badge_info(release),
    )


def _public_json(payload: dict[str, Any], status: int = 200, max_age: int = 300) -> Response:
    response = Response(
        json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        status=status,
        mimetype="application/json",
    )
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    # Public documents: any site or tool may fetch them to verify a certificate on its own.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/releases/<int:release_id>/certificate.json")
@access(PUBLIC)
def certificate_json(release_id: int) -> Response:
    release = _published(release_id)
    certificate = _service().certificate(release)
    if certificate is None:
        abort(404)
    if release.status == ReleaseStatus.TAKEN_DOWN:
        # Signed, so a copy of the certificate can be shown to be withdrawn by anyone who fetches this.
        withdrawn = {"release_id": release.id, "status": "withdrawn"}
        return _public_json(withdrawn | {"status_statement": certificate["status_statement"]}, status=410)
    # A listing fact, not signed: the artist may end or move the window at any time.
    until = windows.open_until(release, windows.today())
    certificate["first_window"] = {"sold_here_first_until": until.isoformat()} if until is not None else None
    certificate["links"] = {
        "certificate": external_url("provenance.certificate_json", release_id=release.id),
        "page": external_url("provenance.certificate_page", release_id=release.id),
        "public_keys": external_url("provenance.platform_keys"),
        "verify": external_url("provenance.verify"),
        "rendition_manifest": external_url("provenance.manifest_json", release_id=release.id),
        "status": external_url("provenance.status_json", release_id=release.id),
    }
    if request.args.get("manifest") == "1":
        entries = _service().manifest(release)["entries"]
        certificate["rendition_manifest"] = {
            "url": certificate["links"]["rendition_manifest"],
            "entries": entries,
        }
    return _public_json(certificate)


@bp.get("/releases/<int:release_id>/manifest.json")
@access(PUBLIC)
def manifest_json(release_id: int) -> Response:
    """Every file the platform delivered for the release, each entry signed (kept after a withdrawal)."""
    release = _published(release_id)
    if _service().certified(release) is None:
        abort(404)
    return _public_json(_service().manifest(release), max_age=60)


@bp.get("/releases/<int:release_id>/status.json")
@access(PUBLIC)
def status_json(release_id: int) -> Response:
    """The release's status now, signed and dated: what a copied certificate is checked against."""
    release = _published(release_id)
    statement = _service().status_statement(release)
    if statement is None:
        abort(404)
    return _public_json(statement, max_age=60)


@bp.get("/releases/<int:release_id>/ddex.xml")
@access(PUBLIC)
def ddex_export(release_id: int) -> Response:
    release = _published(release_id)
    if release.status != ReleaseStatus.APPROVED or _service().certified(release) is None:
        abort(404)
    settings = find_service(Settings)
    try:
        xml = _service().ddex(
            release,
            sender_dpid=settings.ddex_sender_dpid or DEFAULT_DPID,
            sender_name=settings.ddex_sender_name,
            test_message=not settings.ddex_sender_dpid,
        )
    except DdexExportError as error:
        abort(409, description=f"This release can't be exported as DDEX yet: {error}.")
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'inline; filename="release-{release.id}-ern432.xml"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/.well-known/velvet/platform-key.json")
@access(PUBLIC)
def platform_keys() -> Response:
    return _public_json({"keys": _keyring().jwks()}, max_age=3600)


@bp.route("/verify", methods=["GET", "POST"])
@access(PUBLIC)
def verify() -> ViewResult:
    form = VerifyForm()
    if request.method == "GET":
        release_id = query_id("release")
        if release_id:
            release = get_session().get(Release, release_id)
            certificate = _service().certificate(release) if release and release.status in PUBLISHED else None
            form.certificate.data = json.dumps(certificate, indent=2, sort_keys=True) if certificate else ""
        return render_template("provenance/verify.html", form=form, verdict=None)
    verdict = None
    if form.validate():
        upload = form.certificate_file.data
        text: str | bytes = upload.read() if upload and upload.filename else (form.certificate.data or "")
        try:
            if not text.strip():
                raise CertificateFormatError("paste a certificate or choose its file")
            certificate = parse_certificate(text)
            digests = parse_hash_lines(form.hashes.data or "")
        except CertificateFormatError as error:
            form.certificate.errors = [*form.certificate.errors, f"This can't be checked: {error}."]
        else:
            files: list[FileDigest] = []
            for sent in form.files.data or []:
                if sent and sent.filename:
                    with closing(sent):  # large files are spooled to disk: each is closed once read
                        files.append(digest_stream(sent.filename, sent.stream, audio=True))
            verdict = verify_certificate(
                certificate,
                _keyring().jwks(),
                files + digests,
                entries=StoredEntries(get_session()),
                current_status=_service().current_status(certificate["document"]),
            )
    page = render_template("provenance/verify.html", form=form, verdict=verdict)
    return page if verdict is not None else (page, 422)

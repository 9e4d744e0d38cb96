"""Managing artist and label profiles: create, edit, members, invitations and roster consent."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..db import utcnow
from ..web.access import PUBLIC, VERIFIED, Rule, access
from ..web.services import find_service
from .access import ARTIST_MEMBER, ARTIST_OWNER, LABEL_OWNER, LABEL_STAFF, current_user
from .actor import actor
from .forms import ConfirmForm, InviteForm, MemberRoleForm, ProfileForm, RosterForm
from .memberships import MembershipService
from .models import Artist, Label, MemberRole, RosterLink
from .profiles import ProfileService
from .services import AccountError
from .views import _field_error

bp = Blueprint("profiles", __name__)
ViewResult = Response | str | tuple[str, int]


def _kind_of(profile: Artist | Label) -> str:
    return "artist" if isinstance(profile, Artist) else "label"


def _new(kind: str) -> ViewResult:
    user = current_user()
    assert user is not None
    form = ProfileForm()
    if request.method == "POST":
        if form.validate():
            service = find_service(ProfileService)
            create = service.create_artist if kind == "artist" else service.create_label
            try:
                profile = create(
                    user,
                    actor(),
                    name=form.name.data,
                    slug=form.slug.data or "",
                    bio=form.bio.data or "",
                    location=form.location.data or "",
                    links=form.links.data or "",
                )
            except AccountError as error:
                _field_error(form, error)
            else:
                flash(f"{profile.name} is created. Add a picture and invite the other members.", "success")
                return redirect(url_for(f"profiles.{kind}_members", slug=profile.slug))
        return render_template("profiles/edit.html", form=form, kind=kind, profile=None), 422
    return render_template("profiles/edit.html", form=form, kind=kind, profile=None)


def _edit(profile: Artist | Label) -> ViewResult:
    kind = _kind_of(profile)
    form = ProfileForm(obj=profile)
    if request.method == "GET":
        form.links.data = "\n".join(profile.links)
        return render_template("profiles/edit.html", form=form, kind=kind, profile=profile)
    if form.validate():
        upload = form.avatar.data
        avatar = upload.stream if upload is not None and upload.filename else None
        try:
            find_service(ProfileService).update_profile(
                profile,
                actor(),
                name=form.name.data,
                slug=form.slug.data or "",
                bio=form.bio.data or "",
                location=form.location.data or "",
                links=form.links.data or "",
                avatar=avatar,
            )
        except AccountError as error:
            _field_error(form, error)
        else:
            flash("Your changes are saved.", "success")
            return redirect(url_for(f"catalog.{kind}_page", slug=profile.slug))
    return render_template("profiles/edit.html", form=form, kind=kind, profile=profile), 422


def _members(
    profile: Artist | Label, *, invite_form: InviteForm | None = None, status: int = 200
) -> ViewResult:
    kind = _kind_of(profile)
    service = find_service(ProfileService)
    members = profile.members if isinstance(profile, Artist) else profile.staff
    user = current_user()
    is_owner = any(m.user_id == user.id and m.role == MemberRole.OWNER for m in members) if user else False
    links: list[RosterLink] = [link for link in profile.roster_links if link.ended_at is None]
    page = render_template(
        "profiles/members.html",
        profile=profile,
        kind=kind,
        members=members,
        is_owner=is_owner,
        invitations=service.open_invitations(profile),
        invite_form=invite_form or InviteForm(),
        role_form=MemberRoleForm(),
        roster_form=RosterForm(),
        confirm_form=ConfirmForm(),
        roster_links=links,
    )
    return (page, status) if status != 200 else page


def _invite(profile: Artist | Label) -> ViewResult:
    form = InviteForm()
    user = current_user()
    assert user is not None
    if form.validate():
        try:
            find_service(ProfileService).invite(profile, actor(), user, form.email.data)
        except AccountError as error:
            _field_error(form, error)
        else:
            flash(f"Invitation sent to {form.email.data}.", "success")
            return redirect(url_for(f"profiles.{_kind_of(profile)}_members", slug=profile.slug))
    return _members(profile, invite_form=form, status=422)


def _set_role(profile: Artist | Label) -> ViewResult:
    form = MemberRoleForm()
    kind = _kind_of(profile)
    if form.validate():
        role = None if form.role.data == "remove" else MemberRole(form.role.data)
        try:
            find_service(MembershipService).set_member_role(profile, int(form.user_id.data), role, actor())
        except (AccountError, ValueError) as error:
            flash(getattr(error, "message", "That member could not be changed."), "error")
            return _members(profile, status=422)
        flash("Members updated.", "success")
    return redirect(url_for(f"profiles.{kind}_members", slug=profile.slug))


def _revoke(profile: Artist | Label, invitation_id: int) -> ViewResult:
    if ConfirmForm().validate():
        try:
            find_service(ProfileService).revoke_invitation(profile, invitation_id, actor())
        except AccountError as error:
            flash(error.message, "error")
            return _members(profile, status=422)
        flash("Invitation withdrawn.", "success")
    return redirect(url_for(f"profiles.{_kind_of(profile)}_members", slug=profile.slug))


def _roster_propose(profile: Artist | Label) -> ViewResult:
    form = RosterForm()
    service = find_service(ProfileService)
    if not form.validate():
        return _members(profile, status=422)
    other_slug = (form.slug.data or "").strip().lower()
    by_label = isinstance(profile, Label)
    artist = service.artist_by_slug(other_slug) if isinstance(profile, Label) else profile
    label = profile if isinstance(profile, Label) else service.label_by_slug(other_slug)
    if artist is None or label is None:
        flash(f"No {'artist' if by_label else 'label'} has the address “{other_slug}”.", "error")
        return _members(profile, status=422)
    other = artist if by_label else label
    link = find_service(MembershipService).propose_roster(label, artist, actor(), by_label=by_label)
    flash(
        f"{artist.name} is on {label.name}'s roster."
        if link.status.value == "active"
        else f"Asked {other.name}; it becomes active when they agree.",
        "success",
    )
    return redirect(url_for(f"profiles.{_kind_of(profile)}_members", slug=profile.slug))


def _roster_link(profile: Artist | Label, link_id: int) -> RosterLink:
    link = next((lk for lk in profile.roster_links if lk.id == link_id), None)
    if link is None:
        abort(404)
    return link


def _roster_accept(profile: Artist | Label, link_id: int) -> ViewResult:
    link = _roster_link(profile, link_id)
    if ConfirmForm().validate():
        find_service(MembershipService).propose_roster(
            link.label, link.artist, actor(), by_label=isinstance(profile, Label)
        )
        flash("Roster updated.", "success")
    return redirect(url_for(f"profiles.{_kind_of(profile)}_members", slug=profile.slug))


def _roster_end(profile: Artist | Label, link_id: int) -> ViewResult:
    link = _roster_link(profile, link_id)
    if ConfirmForm().validate():
        find_service(MembershipService).end_roster(link, actor(), by_label=isinstance(profile, Label))
        flash("Roster link ended.", "success")
    return redirect(url_for(f"profiles.{_kind_of(profile)}_members", slug=profile.slug))


def _managing(profile: Artist | Label, link_id: int, action: str) -> ViewResult:
    """The label asks to manage the artist's releases, the artist agrees, or either side ends it."""
    link = _roster_link(profile, link_id)
    if ConfirmForm().validate():
        service = find_service(MembershipService)
        try:
            if action == "propose":
                service.propose_managing(link, actor())
                flash(f"Asked {link.artist.name} to let {link.label.name} manage its releases.", "success")
            elif action == "accept":
                service.accept_managing(link, actor())
                flash(f"{link.label.name}'s staff can now manage your releases.", "success")
            else:
                service.end_managing(link, actor(), by_label=isinstance(profile, Label))
                flash(f"{link.label.name}'s staff no longer manage {link.artist.name}'s releases.", "success")
        except AccountError as error:
            flash(error.message, "error")
            return _members(profile, status=422)
    return redirect(url_for(f"profiles.{_kind_of(profile)}_members", slug=profile.slug))


def _manage_propose(profile: Artist | Label, link_id: int) -> ViewResult:
    return _managing(profile, link_id, "propose")


def _manage_accept(profile: Artist | Label, link_id: int) -> ViewResult:
    return _managing(profile, link_id, "accept")


def _manage_end(profile: Artist | Label, link_id: int) -> ViewResult:
    return _managing(profile, link_id, "end")


# -- routes: the same actions for artists and labels, each under its own access rule -------------------------
@bp.route("/artists/new", methods=["GET", "POST"])
@access(VERIFIED)
def artist_new() -> ViewResult:
    return _new("artist")


@bp.route("/labels/new", methods=["GET", "POST"])
@access(VERIFIED)
def label_new() -> ViewResult:
    return _new("label")


def _profile_view(kind: str, endpoint: str, action: Any) -> Any:
    """The view for one action: the profile rule hands it the artist or label as `artist` or `label`."""

    def view(**view_args: Any) -> ViewResult:
        profile: Artist | Label = view_args.pop(kind)
        result: ViewResult = action(profile, **view_args)
        return result

    view.__name__ = endpoint
    return view


def _routes(kind: str, member_rule: Rule, owner_rule: Rule) -> None:
    base = f"/{kind}s/<slug>"
    views: list[tuple[str, str, list[str], Rule, Any]] = [
        ("edit", "/edit", ["GET", "POST"], member_rule, _edit),
        ("members", "/members", ["GET"], member_rule, _members),
        ("invite", "/members/invite", ["POST"], owner_rule, _invite),
        ("member_role", "/members/role", ["POST"], owner_rule, _set_role),
        ("revoke", "/invitations/<int:invitation_id>/revoke", ["POST"], owner_rule, _revoke),
        ("roster_propose", "/roster/propose", ["POST"], owner_rule, _roster_propose),
        ("roster_accept", "/roster/<int:link_id>/accept", ["POST"], owner_rule, _roster_accept),
        ("roster_end", "/roster/<int:link_id>/end", ["POST"], owner_rule, _roster_end),
        ("manage_end", "/roster/<int:link_id>/manage/end", ["POST"], owner_rule, _manage_end),
    ]
    # The label asks to manage an artist's releases; the artist agrees.
    manage = ("manage_propose", _manage_propose) if kind == "label" else ("manage_accept", _manage_accept)
    views.append((manage[0], "/roster/<int:link_id>/manage", ["POST"], owner_rule, manage[1]))
    for name, path, methods, rule, action in views:
        endpoint = f"{kind}_{name}"
        view = access(rule)(_profile_view(kind, endpoint, action))
        bp.add_url_rule(base + path, endpoint, view, methods=methods)


_routes("artist", ARTIST_MEMBER, ARTIST_OWNER)
_routes("label", LABEL_STAFF, LABEL_OWNER)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def invitation(token: str) -> ViewResult:
    service = find_service(ProfileService)
    found = service.invitation_by_token(token)
    if found is None or not found.is_open(utcnow()):
        return render_template(
            "accounts/token_problem.html", message="This invitation is no longer open. Ask for a new one."
        ), 404
    form = ConfirmForm()
    user = current_user()
    if request.method == "POST" and form.validate():
        if user is None:
            return redirect(url_for("accounts.login", next=request.path))
        try:
            target = service.accept_invitation(token, user, actor())
        except AccountError as error:
            flash(error.message, "error")
            return render_template("profiles/invitation.html", invitation=found, form=form), 422
        flash(f"You are now a member of {target.name}.", "success")
        return redirect(url_for(f"profiles.{_kind_of(target)}_members", slug=target.slug))
    return render_template("profiles/invitation.html", invitation=found, form=form)

"""Curating collections: the platform's curators (admins) make the home page's collections and staff picks,
a label's staff make its page's; they create, edit, order and publish them from one simple page, no script.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..accounts.access import REVIEWER, current_user
from ..accounts.models import Artist, Label, User
from ..accounts.profiles import slugify
from ..db import get_session, utcnow
from ..events import record_event
from ..releases.models import Release, ReleaseStatus
from ..web.access import access
from .models import STAFF_PICKS, CollectionError, CollectionItem, CuratedCollection, may_curate

bp = Blueprint("curating", __name__, url_prefix="/curating")
PLATFORM = "platform"
MAX_ITEMS = 100
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_RELEASE_PATH = re.compile(r"^/artists/([^/]+)/album/([^/?#]+)/?$")


class CollectionService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def editable(self, user: User) -> list[CuratedCollection]:
        stmt = select(CuratedCollection).options(joinedload(CuratedCollection.label))
        if not user.is_admin:
            labels = [s.label_id for s in user.label_memberships]
            stmt = stmt.where(CuratedCollection.label_id.in_(labels))
        # The platform's first, then each label's, each in its order.
        order = (
            CuratedCollection.label_id.is_not(None),
            CuratedCollection.label_id,
            CuratedCollection.position,
        )
        return list(self.session.scalars(stmt.order_by(*order, CuratedCollection.id)))

    def items(self, collection: CuratedCollection) -> list[CollectionItem]:
        stmt = (
            select(CollectionItem)
            .where(CollectionItem.collection_id == collection.id)
            .options(joinedload(CollectionItem.release).joinedload(Release.artist))
            .order_by(CollectionItem.position, CollectionItem.id)
        )
        return list(self.session.scalars(stmt))

    def _check_slug(self, slug: str, label_id: int | None, collection_id: int | None = None) -> str:
        if not _SLUG.match(slug):
            raise CollectionError("Use lower-case letters, digits and single hyphens.", "slug")
        if slug == STAFF_PICKS and label_id is not None:
            raise CollectionError(f"“{STAFF_PICKS}” is kept for the platform's staff picks.", "slug")
        taken = self.session.scalar(select(CuratedCollection.id).where(CuratedCollection.slug == slug))
        if taken is not None and taken != collection_id:
            raise CollectionError("Another collection has this address; choose another.", "slug")
        return slug

    def create(
        self, user: User, *, title: str, slug: str, description: str, label_id: int | None
    ) -> CuratedCollection:
        if not may_curate(user, label_id):
            raise CollectionError("You can't make collections for this page.", "owner")
        title = _title(title)
        slug = self._check_slug(slug.strip() or slugify(title), label_id)
        last = self.session.scalar(select(func.max(CuratedCollection.position)).where(_same_owner(label_id)))
        collection = CuratedCollection(
            title=title,
            slug=slug,
            description=description.strip(),
            label_id=label_id,
            created_by_id=user.id,
            position=(last if last is not None else -1) + 1,
        )
        self.session.add(collection)
        self.session.flush()
        self._record(collection, user, "created")
        return collection

    def update(self, collection: CuratedCollection, *, title: str, slug: str, description: str) -> None:
        title = _title(title)
        collection.slug = self._check_slug(slug.strip() or slugify(title), collection.label_id, collection.id)
        collection.title, collection.description = title, description.strip()
        self.session.flush()

    def publish(self, collection: CuratedCollection, user: User, *, published: bool) -> None:
        collection.published_at = (collection.published_at or utcnow()) if published else None
        self.session.flush()
        self._record(collection, user, "published" if published else "unpublished")

    def delete(self, collection: CuratedCollection, user: User) -> None:
        self._record(collection, user, "deleted")
        self.session.delete(collection)
        self.session.flush()

    def move(self, collection: CuratedCollection, direction: str) -> None:
        siblings = list(
            self.session.scalars(
                select(CuratedCollection)
                .where(_same_owner(collection.label_id))
                .order_by(CuratedCollection.position, CuratedCollection.id)
            )
        )
        _swap(siblings, siblings.index(collection), direction)
        self.session.flush()

    def add_release(self, collection: CuratedCollection, reference: str) -> Release:
        release = self._find_release(reference.strip())
        if release.status != ReleaseStatus.APPROVED:
            state = release.status.value.replace("_", " ")
            raise CollectionError(f"“{release.title}” is {state}; only releases on sale go in a collection.")
        items = self.items(collection)
        if any(item.release_id == release.id for item in items):
            raise CollectionError(f"“{release.title}” is already in this collection.")
        if len(items) >= MAX_ITEMS:
            raise CollectionError(f"A collection holds at most {MAX_ITEMS} releases.")
        position = max((item.position for item in items), default=-1) + 1
        item = CollectionItem(collection_id=collection.id, release_id=release.id, position=position)
        self.session.add(item)
        self.session.flush()
        return release

    def _find_release(self, reference: str) -> Release:
        release: Release | None = None
        if reference.isdigit() and len(reference) < 19:
            release = self.session.get(Release, int(reference))
        elif match := _RELEASE_PATH.match(urlsplit(reference).path):
            release = self.session.scalar(
                select(Release).join(Artist).where(Artist.slug == match[1], Release.slug == match[2])
            )
        else:
            raise CollectionError("Give the release's number or the address of its page.")
        if release is None:
            raise CollectionError("There is no release with this number or address.")
        return release

    def move_item(self, collection: CuratedCollection, item_id: int, direction: str) -> None:
        items = self.items(collection)
        index = next((i for i, item in enumerate(items) if item.id == item_id), None)
        if index is None:
            raise CollectionError("That release is no longer in this collection.")
        _swap(items, index, direction)
        self.session.flush()

    def remove_item(self, collection: CuratedCollection, item_id: int) -> None:
        item = self.session.get(CollectionItem, item_id)
        if item is None or item.collection_id != collection.id:
            raise CollectionError("That release is no longer in this collection.")
        self.session.delete(item)
        self.session.flush()

    def _record(self, collection: CuratedCollection, user: User, action: str) -> None:
        data = {"slug": collection.slug, "label_id": collection.label_id}
        record_event(
            self.session, f"collection:{action}", subject_type="collection", subject_id=collection.id,
            actor_id=user.id, data=data,
        )  # fmt: skip


def _title(raw: str) -> str:
    title = " ".join(raw.split())
    if not title:
        raise CollectionError("Give the collection a title.", "title")
    return title


def _same_owner(label_id: int | None) -> ColumnElement[bool]:
    if label_id is None:
        return CuratedCollection.label_id.is_(None)
    return CuratedCollection.label_id == label_id


def _swap(rows: list[CuratedCollection] | list[CollectionItem], index: int, direction: str) -> None:
    """Moves one row up or down by renumbering its list 0..n-1, so that equal positions can't stick."""
    other = index - 1 if direction == "up" else index + 1
    order = list(range(len(rows)))
    if 0 <= other < len(rows):
        order[index], order[other] = order[other], order[index]
    for position, row_index in enumerate(order):
        rows[row_index].position = position


# -- pages ------------------------------------------------------------------------------------------------
class CollectionForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF has no types (see *.forms)
    title = StringField("Title", [DataRequired("Give the collection a title."), Length(max=120)])
    slug = StringField(
        "Address",
        [Optional(), Length(max=60)],
        description=f"Letters, digits and hyphens, shown in /collections/…; left empty, it is made from the "
        f"title. The platform's collection “{STAFF_PICKS}” is shown on the home page as Staff picks.",
    )
    description = TextAreaField("Description", [Optional(), Length(max=2000)])


class NewCollectionForm(CollectionForm):
    owner = SelectField("Shown on", choices=[], validate_choice=True)


class AddReleaseForm(FlaskForm):  # type: ignore[misc]
    reference = StringField(
        "Release number or page address",
        [DataRequired("Give the release's number or the address of its page."), Length(max=300)],
        description="For example 42, or https://…/artists/some-artist/album/some-album",
    )


def _me() -> User:
    user = current_user()
    assert user is not None
    return user


def _owners(user: User) -> list[tuple[str, str]]:
    labels = get_session().scalars(select(Label).order_by(Label.name)) if user.is_admin else None
    choices = [(PLATFORM, "The home page")] if user.is_admin else []
    staffed = list(labels) if labels is not None else [s.label for s in user.label_memberships]
    return choices + [(str(label.id), f"{label.name}'s page") for label in staffed]


def _editable(collection_id: int) -> CuratedCollection:
    collection = get_session().get(CuratedCollection, collection_id)
    if collection is None:
        abort(404)
    if not may_curate(_me(), collection.label_id):
        abort(403)
    return collection


def _form_error(form: FlaskForm, error: CollectionError) -> None:
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.route("/collections", methods=["GET", "POST"])
@access(REVIEWER)
def index() -> ResponseReturnValue:
    service = CollectionService(get_session())
    form = NewCollectionForm()
    form.owner.choices = _owners(_me())
    if request.method == "POST":
        if form.validate():
            owner = form.owner.data
            try:
                collection = service.create(
                    _me(),
                    title=form.title.data or "",
                    slug=form.slug.data or "",
                    description=form.description.data or "",
                    label_id=None if owner == PLATFORM else int(owner or 0),
                )
            except CollectionError as error:
                _form_error(form, error)
            else:
                flash("Collection made. Add releases, then publish it.", "success")
                return redirect(url_for(".edit", collection_id=collection.id))
        return render_template("catalog/curating.html", collections=service.editable(_me()), form=form), 422
    return render_template("catalog/curating.html", collections=service.editable(_me()), form=form)


def _edit_page(
    collection: CuratedCollection,
    form: CollectionForm | None = None,
    add_form: AddReleaseForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session = get_session()
    owner = session.get(Label, collection.label_id) if collection.label_id is not None else None
    return render_template(
        "catalog/curating_edit.html",
        collection=collection,
        owner=owner,
        form=form or CollectionForm(obj=collection),
        add_form=add_form or AddReleaseForm(formdata=None),
        items=CollectionService(session).items(collection),
    ), status


@bp.route("/collections/<int:collection_id>", methods=["GET", "POST"])
@access(REVIEWER)
def edit(collection_id: int) -> ResponseReturnValue:
    collection = _editable(collection_id)
    form = CollectionForm(obj=collection)
    if request.method == "GET":
        return _edit_page(collection, form)
    if form.validate():
        try:
            CollectionService(get_session()).update(
                collection,
                title=form.title.data or "",
                slug=form.slug.data or "",
                description=form.description.data or "",
            )
        except CollectionError as error:
            _form_error(form, error)
        else:
            flash("Saved.", "success")
            return redirect(url_for(".edit", collection_id=collection.id))
    return _edit_page(collection, form, status=422)


def _posted(collection_id: int) -> CuratedCollection:
    """The collection a button acts on, once the button's form token is checked."""
    collection = _editable(collection_id)
    if not FlaskForm().validate_on_submit():
        abort(400, description="This form has expired. Go back, reload the page and send it again.")
    return collection


def _direction() -> str:
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400, description="Move it “up” or “down”.")
    return direction


def _refused(collection: CuratedCollection, error: CollectionError) -> ResponseReturnValue:
    # Nothing of the refused change is kept; the page says why, next to what was tried.
    get_session().rollback()
    add_form = AddReleaseForm()
    add_form.reference.errors = [error.message]
    return _edit_page(collection, add_form=add_form, status=422)


@bp.post("/collections/<int:collection_id>/publish")
@access(REVIEWER)
def publish(collection_id: int) -> ResponseReturnValue:
    collection = _posted(collection_id)
    published = request.form.get("published") == "yes"
    CollectionService(get_session()).publish(collection, _me(), published=published)
    flash("Published." if published else "Unpublished: only curators see it now.", "success")
    return redirect(url_for(".edit", collection_id=collection.id))


@bp.post("/collections/<int:collection_id>/move")
@access(REVIEWER)
def move(collection_id: int) -> ResponseReturnValue:
    collection = _posted(collection_id)
    CollectionService(get_session()).move(collection, _direction())
    return redirect(url_for(".index"))


@bp.post("/collections/<int:collection_id>/delete")
@access(REVIEWER)
def delete(collection_id: int) -> ResponseReturnValue:
    collection = _posted(collection_id)
    CollectionService(get_session()).delete(collection, _me())
    flash(f"“{collection.title}” is deleted.", "success")
    return redirect(url_for(".index"))


@bp.post("/collections/<int:collection_id>/items")
@access(REVIEWER)
def add_item(collection_id: int) -> ResponseReturnValue:
    collection = _editable(collection_id)
    form = AddReleaseForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400, description="This form has expired. Go back, reload the page and send it again.")
        return _edit_page(collection, add_form=form, status=422)
    try:
        release = CollectionService(get_session()).add_release(collection, form.reference.data or "")
    except CollectionError as error:
        return _refused(collection, error)
    flash(f"“{release.title}” added.", "success")
    return redirect(url_for(".edit", collection_id=collection.id))


@bp.post("/collections/<int:collection_id>/items/<int:item_id>/<action>")
@access(REVIEWER)
def change_item(collection_id: int, item_id: int, action: str) -> ResponseReturnValue:
    if action not in ("move", "remove"):
        abort(404)
    collection = _posted(collection_id)
    service = CollectionService(get_session())
    try:
        if action == "move":
            service.move_item(collection, item_id, _direction())
        else:
            service.remove_item(collection, item_id)
    except CollectionError as error:
        return _refused(collection, error)
    return redirect(url_for(".edit", collection_id=collection.id))

"""`flask seed-catalog`: a large public catalog, written in seconds, to try the store at size and measure it.

Bulk INSERTs (SQLAlchemy Core executemany), one transaction per batch, with ids chosen here so that nothing
is read back. Releases are approved over eight years; the first artist has a long discography, most labels
have a roster, tags have a long tail. No audio is stored: a track's master is a ready upload row with its
format and duration but no file (`flask sweep` reports them missing); covers are absent. Everything seeded
belongs to one account that cannot log in, which is how a seeded catalog is recognised (`--force` removes it).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Connection, Table, delete, func, insert, select, text, update

from ..accounts.models import Artist, ArtistMember, Label, LabelStaff, MemberRole, RosterLink, User
from ..accounts.payees.models import PayeeAccount
from ..accounts.profiles import slugify
from ..catalog.models import rebuild_catalog_index
from ..container import Platform
from ..db import WRITE_OPTION, utcnow
from ..payments.sandbox import SandboxGateway
from ..releases import models as rel
from ..search.indexer import SearchIndexer

OWNER_EMAIL = "seeded-catalog@example.com"
OWNER_NAME = "Seeded catalog"  # the owner is named so once the catalog is complete, indexes and all
BATCH_RELEASES = 500  # releases, with their tracks, masters and credits, per transaction
BATCH_PROFILES = 1000
YEARS = 8
_FIRST = ("Mara", "Jonah", "Ines", "Olle", "Priya", "Dan", "Sara", "Lena", "Felix", "Ada", "Tomas", "Amara")
_LAST = ("Lind", "Reyes", "Okafor", "Berg", "Shah", "Cole", "Nakamura", "Haddad", "Novak", "Sørensen")
_ADJ = ("Quiet", "Static", "Velvet", "Paper", "Northern", "Slow", "Electric", "Golden", "Hollow", "Silver")
_NOUN = ("Hours", "Orchard", "Harbour", "Lanterns", "Rivers", "Engines", "Windows", "Gardens", "Signals")
_LABEL_KINDS = ("Records", "Recordings", "Tapes", "Sound", "Music", "Editions")
_WORDS = (
    "morning", "window", "ferry", "lantern", "road", "north", "kitchen", "table", "market", "day", "hours",
    "harbour", "river", "summer", "winter", "light", "dust", "glass", "echo", "paper", "moon", "signal",
    "garden", "letter", "station", "island", "tide", "smoke", "orchard", "tape", "loop", "street", "field",
    "salt", "honey", "iron", "cloud", "styrsö", "café", "señora",
)  # fmt: skip
GENRES = (
    "indie rock", "folk", "electronic", "jazz", "ambient", "hip hop", "techno", "house", "soul", "punk",
    "metal", "classical", "pop", "r&b", "country", "reggae", "experimental", "shoegaze", "post-rock",
    "afrobeat", "dub", "singer-songwriter", "drum and bass", "blues",
)  # fmt: skip
TAGS = (
    "lo-fi", "field recordings", "synth", "guitar", "piano", "live", "tape", "dream pop", "instrumental",
    "acoustic", "modular", "drone", "dance", "noise", "psychedelic", "minimal", "cinematic", "choral",
    "brass", "strings", "bedroom pop", "garage", "krautrock", "new wave", "spoken word", "balearic",
    "breakbeat", "downtempo", "grime", "gospel", "bluegrass", "cumbia", "highlife", "city pop",
    "chamber pop", "math rock", "emo", "hardcore", "industrial", "trip hop", "idm", "footwork", "jungle",
    "disco", "funk", "library music", "soundtrack", "folk horror", "lullabies", "protest songs",
    "human-made", "one take", "home recording", "vocal", "improvised", "analog", "nylon-string", "organ",
    "harp", "field trip",
)  # fmt: skip
PLACES = (
    "Gothenburg, Sweden", "Styrsö, Sweden", "Leeds, UK", "Lagos, Nigeria", "Bristol, UK", "Montréal, Canada",
    "Osaka, Japan", "Berlin, Germany", "Lisbon, Portugal", "Accra, Ghana", "Mexico City, Mexico",
    "Melbourne, Australia", "Reykjavík, Iceland", "Nairobi, Kenya", "Glasgow, UK", "Chicago, USA",
    "Detroit, USA", "São Paulo, Brazil", "Kraków, Poland", "Seoul, South Korea", "Bogotá, Colombia",
)  # fmt: skip
_LICENSES = (rel.License.ALL_RIGHTS_RESERVED,) * 6 + (
    rel.License.CC_BY,
    rel.License.CC_BY_NC_SA,
    rel.License.CC0,
)
_CURRENCIES = ("USD",) * 6 + ("EUR", "EUR", "GBP", "SEK", "JPY")
_KINDS = (rel.ReleaseType.SINGLE, rel.ReleaseType.EP, rel.ReleaseType.ALBUM)  # by track count
_BATCHED = (rel.Release, rel.Track, rel.Contributor, rel.Upload)


@dataclass(frozen=True)
class Shape:
    releases: int = 10_000
    tracks_per_release: int = 10
    artists: int = 2_000
    labels: int = 200
    tags: int = 60
    seed: int = 1
    # Releases of the first artist: one long discography, for the artist page at size.
    discography: int = 200


def seeded_owner_id(conn: Connection) -> int | None:
    return conn.scalar(select(User.id).where(User.email == OWNER_EMAIL))


def _ids(conn: Connection, model: Any) -> Callable[[], int]:
    """Ids after the highest in use, so that rows are linked without reading any back."""
    counter = iter(range((conn.scalar(select(func.max(model.id))) or 0) + 1, 1 << 62))
    return lambda: next(counter)


def _upc(serial: int) -> str:
    # UPC-A numbers starting with 2 are for in-store use: they never name a product on sale elsewhere.
    body = f"29{serial:09d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def _unique(name: str, taken: set[str], fallback: str) -> str:
    base = slugify(name)[:54] or fallback
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


class Seeder:
    def __init__(self, platform: Platform, shape: Shape, say: Callable[[str], None] = print) -> None:
        self.platform, self.shape, self.say = platform, shape, say
        self.rng = random.Random(shape.seed)  # noqa: S311 - made-up names, not secrets
        self.engine = platform.database.engine.execution_options(**{WRITE_OPTION: True})
        self.now = utcnow().replace(microsecond=0)
        self.written: set[Table] = set()
        self.ids: dict[Any, Callable[[], int]] = {}
        self.rows: dict[Any, list[dict[str, Any]]] = {}
        extra = range(len(TAGS), shape.tags)
        self.tags = list(TAGS[: shape.tags]) + [f"{TAGS[i % len(TAGS)]} {i // len(TAGS) + 1}" for i in extra]
        # A long tail: the first tags are on many releases, most on a few.
        self.tag_weights = [1 / (i + 1) ** 0.8 for i in range(len(self.tags))]

    def _insert(self, conn: Connection, model: Any, rows: list[dict[str, Any]]) -> None:
        table: Table = model.__table__
        if rows:
            conn.execute(insert(table), rows)
            self.written.add(table)

    def _when(self, newest_days_ago: float = 0.05) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(newest_days_ago, YEARS * 365))

    def _person(self) -> str:
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"

    def _title(self, words: int) -> str:
        return " ".join(w.capitalize() for w in self.rng.sample(_WORDS, words))

    def run(self) -> int:
        """Write the catalog; returns how many artists got a sandbox payout account."""
        shape, rng, now = self.shape, self.rng, self.now
        with self.engine.begin() as conn:
            # The owner goes in first, on its own: a catalog left half-written is still recognised.
            owner = _ids(conn, User)()
            self._insert(conn, User, [{"id": owner, "email": OWNER_EMAIL, "display_name": "Seeding…"}])
        labels = self._profiles(Label, LabelStaff, "label_id", shape.labels, owner)
        artists = self._profiles(Artist, ArtistMember, "artist_id", shape.artists, owner)
        # Most labels have a roster; a rostered artist puts most of its releases out on its label.
        signing = labels[: max(1, round(len(labels) * 0.7))]
        label_of = {a: rng.choice(signing) for a in artists if signing and rng.random() < 0.6}
        agreed = {"label_consent_at": now, "artist_consent_at": now, "created_at": now}
        with self.engine.begin() as conn:
            links = [{"label_id": label, "artist_id": artist, **agreed} for artist, label in label_of.items()]
            self._insert(conn, RosterLink, links)
        self._releases(artists, label_of)
        self._sequences()
        return self._payees(artists)

    def _profiles(self, model: Any, member: Any, key: str, count: int, owner: int) -> list[int]:
        """Labels or artists, each with the seed account as its owner, written a batch at a time."""
        rng, ids = self.rng, list[int]()
        rows: list[dict[str, Any]] = []
        members: list[dict[str, Any]] = []
        with self.engine.connect() as conn:
            taken, next_id = set(conn.scalars(select(model.slug))), _ids(conn, model)
        for n in range(count):
            if model is Label:
                name = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)} {rng.choice(_LABEL_KINDS)}"
            else:
                name = rng.choice((
                    self._person(), f"The {rng.choice(_ADJ)} {rng.choice(_NOUN)}", self._title(2),
                    f"{rng.choice(_FIRST)} & the {rng.choice(_NOUN)}",
                ))  # fmt: skip
            created, place = self._when(newest_days_ago=1), rng.choice(PLACES)
            rows.append({
                "id": next_id(), "name": name, "slug": _unique(name, taken, "profile"), "location": place,
                "bio": f"{name}, from {place}. Songs made by people, in rooms, on instruments.",
                "links": [], "created_at": created, "verified_at": created if rng.random() < 0.4 else None,
            })  # fmt: skip
            members.append({key: rows[-1]["id"], "user_id": owner, "role": MemberRole.OWNER})
            if len(rows) == BATCH_PROFILES or n == count - 1:
                with self.engine.begin() as conn:
                    self._insert(conn, model, rows)
                    self._insert(conn, member, members)
                ids += [row["id"] for row in rows]
                rows, members = [], []
        return ids

    def _track_counts(self, releases: int) -> list[int]:
        """Track counts around the mean (singles, EPs, albums) that add up to the number asked for."""
        mean, rng = self.shape.tracks_per_release, self.rng
        counts = [max(1, round(mean * rng.choice((0.2, 0.5, 1, 1, 1.2, 1.5)))) for _ in range(releases)]
        gap, cap = releases * mean - sum(counts), 3 * mean
        while gap:
            i, step = rng.randrange(releases), 1 if gap > 0 else -1
            if 1 <= counts[i] + step <= cap:
                counts[i] += step
                gap -= step
        return counts

    def _owners(self, artists: list[int]) -> list[int]:
        """Whose each release is: the first artist's long run, one each for the others, then a long tail."""
        total, rng = self.shape.releases, self.rng
        long_run = max(1, min(self.shape.discography, total - (len(artists) - 1)))
        owners = [artists[0]] * long_run + artists[1 : total - long_run + 1]
        if len(owners) < total and len(artists) > 1:
            weights = [rng.lognormvariate(0, 0.8) for _ in artists[1:]]
            owners += rng.choices(artists[1:], weights, k=total - len(owners))
        owners += [artists[0]] * (total - len(owners))
        rng.shuffle(owners)
        return owners

    def _releases(self, artists: list[int], label_of: dict[int, int]) -> None:
        if not artists:
            return
        owners = self._owners(artists)
        moments = sorted(self._when() for _ in owners)
        counts = self._track_counts(len(owners))
        with self.engine.connect() as conn:
            self.ids = {model: _ids(conn, model) for model in _BATCHED}
            names = dict(conn.execute(select(Artist.id, Artist.name).where(Artist.id.in_(artists))).all())
        slugs: dict[int, set[str]] = {}
        started = time.monotonic()
        for start in range(0, len(owners), BATCH_RELEASES):
            self.rows = {model: [] for model in _BATCHED}
            for n in range(start, min(start + BATCH_RELEASES, len(owners))):
                artist = owners[n]
                label = label_of.get(artist) if self.rng.random() < 0.85 else None
                self._release(
                    n, (artist, names[artist]), label, moments[n], counts[n], slugs.setdefault(artist, set())
                )
            with self.engine.begin() as conn:
                for model, rows in self.rows.items():
                    self._insert(conn, model, rows)
            if (done := min(start + BATCH_RELEASES, len(owners))) % 2000 == 0 or done == len(owners):
                self.say(f"  {done:,} releases written ({time.monotonic() - started:.1f} s)")

    def _release(
        self, n: int, by: tuple[int, str], label: int | None, approved: datetime, tracks: int, slugs: set[str]
    ) -> None:
        rng, ids, (artist, artist_name) = self.rng, self.ids, by
        kind = _KINDS[(tracks > 3) + (tracks > 6)]
        release_id, title, genre = ids[rel.Release](), self._title(rng.randint(1, 3)), rng.choice(GENRES)
        currency = rng.choice(_CURRENCIES)
        unit = 150 if currency == "JPY" else 100  # a track's price in minor units (JPY has none)
        free_choice = rng.random() < 0.15
        price = 0 if free_choice and rng.random() < 0.5 else min(tracks, 9) * unit
        picks = rng.choices(self.tags, self.tag_weights, k=rng.randint(2, 5)) if self.tags else []
        tags = list(dict.fromkeys(picks))
        self.rows[rel.Release].append({
            "id": release_id, "artist_id": artist, "label_id": label, "title": title, "release_type": kind,
            "slug": _unique(title, slugs, "release"), "genre": genre, "tags": tags, "upc": _upc(n + 1),
            "release_date": (approved - timedelta(days=rng.randint(0, 30))).date(),
            "description": f"{title}: {kind.value} by {artist_name}, recorded by hand.",
            "location": rng.choice(PLACES), "license": rng.choice(_LICENSES), "currency": currency,
            "price_minor": price, "pay_what_you_want": free_choice, "minimum_price_minor": 0,
            "status": rel.ReleaseStatus.APPROVED, "status_changed_at": approved, "approved_at": approved,
            "submitted_at": approved - timedelta(days=rng.uniform(0.1, 6)),
            "created_at": approved - timedelta(days=rng.uniform(7, 60)), "updated_at": approved,
        })  # fmt: skip
        for role, name, instrument in (
            (rel.ContributorRole.COMPOSER, artist_name, ""),
            (rel.ContributorRole.PERFORMER, self._person(), rng.choice(("drums", "bass", "vocals", "cello"))),
            (rel.ContributorRole.MASTERING_ENGINEER, self._person(), ""),
        ):
            credit = {"release_id": release_id, "name": name, "role": role, "instrument": instrument}
            self.rows[rel.Contributor].append({"id": ids[rel.Contributor](), "track_id": None, **credit})
        sung = genre not in ("ambient", "techno", "classical", "post-rock") and "instrumental" not in tags
        track_price = None if free_choice or kind == rel.ReleaseType.SINGLE else unit
        for position in range(1, tracks + 1):
            self._track(release_id, artist, position, approved, sung, track_price)

    def _track(
        self, release_id: int, artist: int, position: int, approved: datetime, sung: bool, price: int | None
    ) -> None:
        rng, ids, add = self.rng, self.ids, self.rows
        track_id, upload_id, title = ids[rel.Track](), ids[rel.Upload](), self._title(rng.randint(1, 3))
        seconds, rate = round(max(45.0, rng.gauss(220, 70)), 3), 44_100
        lyrics = "\n".join(self._title(4) for _ in range(4)) if sung and rng.random() < 0.4 else ""
        add[rel.Track].append({
            "id": track_id, "release_id": release_id, "position": position, "title": title, "lyrics": lyrics,
            "isrc": f"ZZSDC{approved.year % 100:02d}{track_id % 100_000:05d}", "price_minor": price,
            "explicit": rng.random() < 0.03, "created_at": approved,
        })  # fmt: skip
        key, size = f"releases/seeded/{release_id}/{upload_id}/master.flac", int(seconds * 100_000)
        add[rel.Upload].append({
            "id": upload_id, "artist_id": artist, "release_id": release_id, "track_id": track_id,
            "kind": rel.UploadKind.MASTER, "status": rel.UploadStatus.READY, "content_type": "audio/flac",
            "original_filename": f"{position:02d} {title}.flac", "declared_size": size, "size": size,
            "staging_key": f"staging/seeded/{upload_id}", "final_key": key, "problems": [],
            "created_at": approved, "finalized_at": approved, "validated_at": approved,
            "info": {
                "format": "FLAC", "codec": "flac", "sample_rate": rate, "bit_depth": 16, "channels": 2,
                "duration_seconds": seconds, "frames": int(seconds * rate), "tags": {}, "notes": [],
                "keys": [key], "content_type": "audio/flac",
            },
        })  # fmt: skip

    def _sequences(self) -> None:
        """PostgreSQL hands out ids from sequences, which rows inserted with their own ids did not move."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.begin() as conn:
            for table in self.written:  # names from the models, never from input
                last = f"SELECT MAX(id) FROM {table.name}"  # noqa: S608
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), ({last}))"))

    def _payees(self, artists: list[int]) -> int:
        """In the payment sandbox, artists get payout accounts as after onboarding, so their releases sell."""
        sandbox = self.platform.payments
        if not isinstance(sandbox, SandboxGateway):
            return 0
        ready = {"gateway": sandbox.backend_name, "transfers_enabled": True, "details_needed": []}
        rows = []
        for artist in artists:
            key = f"velvet-seeded-payee-{artist}"
            account = sandbox.create_payee(
                display_name="Seeded", email=OWNER_EMAIL, country="US", idempotency_key=key
            )
            sandbox.enable_transfers(account)
            rows.append({**ready, "artist_id": artist, "provider_account_id": account})
        with self.engine.begin() as conn:
            self._insert(conn, PayeeAccount, rows)
        return len(rows)


def remove_seeded(platform: Platform) -> bool:
    """Remove a seeded catalog: artists, labels, releases and what hangs on them. Whether there was one."""
    with platform.database.engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        owner = seeded_owner_id(conn)
        if owner is None:
            return False
        artists = list(conn.scalars(select(ArtistMember.artist_id).where(ArtistMember.user_id == owner)))
        for start in range(0, len(artists), 500):
            chunk = artists[start : start + 500]
            conn.execute(delete(PayeeAccount).where(PayeeAccount.artist_id.in_(chunk)))
            # Tracks, credits, uploads and what was made of them go with their release (ON DELETE CASCADE).
            conn.execute(delete(rel.Release).where(rel.Release.artist_id.in_(chunk)))
            conn.execute(delete(Artist).where(Artist.id.in_(chunk)))
        staffed = select(LabelStaff.label_id).where(LabelStaff.user_id == owner)
        conn.execute(delete(Label).where(Label.id.in_(staffed)))
        conn.execute(delete(User).where(User.id == owner))
    return True


def seed(platform: Platform, shape: Shape, *, force: bool = False, say: Callable[[str], None] = print) -> int:
    """Seed the catalog (replacing one seeded before when `force`); returns the payout accounts connected."""
    if platform.settings.is_production:
        raise click.ClickException("seed-catalog makes up artists and releases: it never runs in production.")
    with platform.database.engine.connect() as conn:
        seeded = seeded_owner_id(conn) is not None
    if seeded and not force:
        raise click.ClickException("A seeded catalog is already there; --force replaces it.")
    if seeded and remove_seeded(platform):
        say("Removed the catalog seeded before.")
    payees = Seeder(platform, shape, say).run()
    # Bulk rows pass no mapper hook nor indexer: the tag table and the search index are rewritten from them.
    with platform.database.transaction() as session:
        rebuild_catalog_index(session)
        SearchIndexer(session).rebuild()
    with platform.database.transaction() as session:
        platform.search.optimize(session)
        if session.get_bind().dialect.name == "postgresql":  # statistics, as autovacuum gathers them in time
            session.execute(text("ANALYZE"))
        session.execute(update(User).where(User.email == OWNER_EMAIL).values(display_name=OWNER_NAME))
    return payees


@click.command("seed-catalog")
@click.option("--releases", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True)
@click.option("--tracks-per-release", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--artists", type=click.IntRange(1, 200_000), default=2_000, show_default=True)
@click.option("--labels", type=click.IntRange(0, 20_000), default=200, show_default=True)
@click.option("--tags", type=click.IntRange(0, 5_000), default=60, show_default=True)
@click.option("--seed", "seed_", type=int, default=1, show_default=True, help="Same seed, same catalog.")
@click.option("--discography", type=click.IntRange(1, 100_000), default=200, show_default=True,
              help="Releases of the first artist: one long discography.")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace a catalog seeded before.")
@with_appcontext
def seed_catalog(force: bool, seed_: int, **options: Any) -> None:
    """Add a large public catalog of made-up artists, labels and releases (no audio files)."""
    started = time.monotonic()
    shape = Shape(seed=seed_, **options)
    payees = seed(current_app.extensions["storefront"], shape, force=force, say=click.echo)
    tracks = shape.releases * shape.tracks_per_release
    click.echo(
        f"Seeded {shape.releases:,} releases, {tracks:,} tracks, {shape.artists:,} artists, "
        f"{shape.labels:,} labels and {shape.tags:,} tags in {time.monotonic() - started:.1f} s"
        + (f"; {payees:,} artists can sell (sandbox)." if payees else ".")
    )

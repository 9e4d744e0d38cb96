"""Who may see and set up where a profile is paid: its owners only. Members, staff without the owner's
role, other profiles' owners and platform admins are refused, so nobody but the owners can point a
profile's payouts at an account.

The roster-agreement rules also load the roster link named by the URL and hand it to the view, a 404 when it
is not the profile's own.
"""

from __future__ import annotations

from typing import Any

from flask import abort

from ...db import get_session
from ...web.access import Rule, ViewArgs
from ..access import ARTIST_OWNER, LABEL_OWNER
from ..models import RosterLink


def _with_link(kind: str, owner: Rule) -> Rule:
    owner_check = owner.check
    assert owner_check is not None

    def check(user: Any, view_args: ViewArgs) -> ViewArgs | None:
        granted = owner_check(user, view_args)
        if granted is None:
            return None
        profile = granted[kind]
        link = get_session().get(RosterLink, granted.pop("link_id"))
        if link is None or getattr(link, f"{kind}_id") != profile.id:
            abort(404)
        granted["link"] = link
        return granted

    return Rule(f"{kind}-roster-owner", needs_login=True, needs_verified=True, check=check)


ARTIST_PAYEE = ARTIST_OWNER
LABEL_PAYEE = LABEL_OWNER
ARTIST_ROSTER_OWNER = _with_link("artist", ARTIST_OWNER)
LABEL_ROSTER_OWNER = _with_link("label", LABEL_OWNER)

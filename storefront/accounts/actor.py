"""Who acts in the current request, as the audit log records it: the signed-in account and a keyed address."""

from __future__ import annotations

from ..config import Settings
from ..events import hash_ip
from ..web.access import current_user
from ..web.services import client_ip, find_service
from .services import Actor


def actor() -> Actor:
    user = current_user()
    return Actor(user.id if user else None, hash_ip(client_ip(), find_service(Settings).secret_key))

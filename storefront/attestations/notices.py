"""The mail that tells a label's staff an attestation waits for their countersignature."""

from __future__ import annotations

from collections.abc import Callable

from ..mail.services import MailService
from .models import Attestation

UrlFor = Callable[..., str]


def tell_countersigners(mail: MailService, attestation: Attestation, url_for: UrlFor) -> None:
    """On an attestation that needs the label's word: mail the label's staff who may countersign it, never the
    artist's members or the signer."""
    label, release = attestation.label, attestation.release
    if label is None or not attestation.needs_countersignature:
        return
    leave_out = {m.user_id for m in release.artist.members}
    if attestation.signer_user_id is not None:
        leave_out.add(attestation.signer_user_id)
    addresses: dict[str, None] = {}
    for staff in label.staff:
        if staff.user.is_active and staff.user.id not in leave_out:
            addresses.setdefault(staff.user.email, None)
    link = url_for("provenance.countersign", slug=label.slug, attestation_id=attestation.id)
    for address in addresses:
        mail.send(
            "countersign_waiting",
            address,
            f"“{release.title}” waits for {label.name}'s countersignature",
            "countersign_waiting",
            release=release,
            label=label,
            link=link,
        )

"""Which Workshop the media jobs use: the deployment's own when the settings name one, else the real one."""

from __future__ import annotations

from typing import Protocol

from ..audio.workshop import AudioWorkshop, Workshop

__all__ = ["AudioWorkshop", "Workshop", "WorkshopSetting", "workshop_for"]


class WorkshopSetting(Protocol):
    """The part of the settings that may name a Workshop of the deployment's own."""

    @property
    def audio_workshop(self) -> Workshop | None: ...


def workshop_for(settings: WorkshopSetting) -> Workshop:
    """The deployment's own Workshop when settings give one (tests give one that fails on purpose)."""
    return settings.audio_workshop or AudioWorkshop()

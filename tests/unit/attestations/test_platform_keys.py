"""The platform key's life: self-made keys are marked, production takes only a provided key, rotation."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from storefront.attestations.signing.keys import RotationError, read_retired, require_provided_key, rotate_key
from storefront.attestations.signing.platform import (
    PlatformKey,
    is_self_generated,
    load_or_create_key,
    read_key,
)
from storefront.config import ConfigError, Settings


def _settings(tmp_path: Path, **changes: object) -> Settings:
    settings = Settings(instance_dir=str(tmp_path), platform_key_path=str(tmp_path / "platform.pem"))
    return settings.with_overrides(**changes)


def _provide(path: Path) -> PlatformKey:
    key = PlatformKey.generate()
    path.write_bytes(key.private_pem())
    path.chmod(0o600)
    return key


def test_a_key_the_application_makes_is_marked_and_still_reads(tmp_path: Path) -> None:
    made = load_or_create_key(tmp_path / "made.pem")
    assert is_self_generated(tmp_path / "made.pem") and read_key(tmp_path / "made.pem").kid == made.kid
    _provide(tmp_path / "provided.pem")
    assert not is_self_generated(tmp_path / "provided.pem")


def test_production_accepts_a_provided_key_and_only_production_checks(tmp_path: Path) -> None:
    _provide(tmp_path / "platform.pem")
    require_provided_key(_settings(tmp_path, env="production"))
    require_provided_key(_settings(tmp_path / "nowhere"))  # development makes its own when needed


def test_production_refuses_an_unreadable_key_naming_the_setting(tmp_path: Path) -> None:
    (tmp_path / "platform.pem").write_text("not a key")
    with pytest.raises(ConfigError, match="STOREFRONT_PLATFORM_KEY_PATH"):
        require_provided_key(_settings(tmp_path, env="production"))


def test_rotation_retires_each_old_key_in_turn(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = _provide(tmp_path / "platform.pem")
    one = rotate_key(settings)
    two = rotate_key(settings)
    assert (one.old_kid, two.old_kid) == (first.kid, one.new_kid)
    assert read_key(settings.resolved_platform_key_path).kid == two.new_kid
    assert stat.S_IMODE((tmp_path / "platform.pem").stat().st_mode) == 0o600
    retired = read_retired(settings.resolved_platform_retired_keys)
    assert [jwk["kid"] for jwk in retired] == [first.kid, one.new_kid]
    assert is_self_generated(tmp_path / "platform.pem")  # generated here, so production would refuse it
    provided = PlatformKey.generate()
    rotate_key(settings, provided)
    assert not is_self_generated(tmp_path / "platform.pem")


def test_rotation_refusals_change_nothing(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with pytest.raises(RotationError, match="no key"):
        rotate_key(settings)
    current = _provide(tmp_path / "platform.pem")
    with pytest.raises(RotationError, match="production signs only with a key you provide"):
        rotate_key(settings.with_overrides(env="production"))
    with pytest.raises(RotationError, match="in force"):
        rotate_key(settings, current)
    old = rotate_key(settings).old_kid
    assert old == current.kid
    with pytest.raises(RotationError, match="retired before"):
        rotate_key(settings, current)
    Path(settings.resolved_platform_retired_keys).write_text(json.dumps({"keys": "x"}))
    with pytest.raises(RotationError, match="STOREFRONT_PLATFORM_RETIRED_KEYS"):
        rotate_key(settings)

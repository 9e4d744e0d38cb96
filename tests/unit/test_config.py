"""Settings from the environment, and production's refusal of insecure or embedded defaults."""

from __future__ import annotations

import pytest

from storefront.config import ConfigError, Settings

SAFE_PRODUCTION = {
    "STOREFRONT_ENV": "production",
    "STOREFRONT_SECRET_KEY": "k" * 48,
    "STOREFRONT_DATABASE_URL": "postgresql+psycopg://velvet@db/velvet",
    "STOREFRONT_STORAGE_BACKEND": "s3",
    "STOREFRONT_S3_BUCKET": "velvet-media",
    "STOREFRONT_PAYMENTS": "stripe",
    "STOREFRONT_STRIPE_SECRET_KEY": "sk_live_x",
    "STOREFRONT_STRIPE_WEBHOOK_SECRET": "whsec_x",
    "STOREFRONT_QUEUE_URL": "redis://cache:6379/0",
    "STOREFRONT_MAIL": "smtp",
    "STOREFRONT_SMTP_URL": "smtp://mailer:secret@smtp.example.com:587",
    "STOREFRONT_BASE_URL": "https://shop.example.com",
    "STOREFRONT_PLATFORM_KEY_PATH": "/etc/velvet/platform-ed25519.pem",
    "STOREFRONT_DDEX_SENDER_DPID": "PADPIDA2025010101X",
    "STOREFRONT_C2PA_CERTIFICATE_PATH": "/etc/velvet/c2pa-chain.pem",
    "STOREFRONT_C2PA_KEY_PATH": "/etc/velvet/c2pa-key.pem",
}


def test_embedded_defaults():
    settings = Settings.from_env({})
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert (settings.storage_backend, settings.payments, settings.mail, settings.jobs_backend) == (
        "local",
        "sandbox",
        "outbox",
        "inline",
    )


def test_a_safe_production_configuration_is_accepted():
    settings = Settings.from_env(SAFE_PRODUCTION)
    assert settings.is_production and settings.jobs_backend == "celery"


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("STOREFRONT_SECRET_KEY", None, "STOREFRONT_SECRET_KEY"),
        ("STOREFRONT_SECRET_KEY", "short", "STOREFRONT_SECRET_KEY"),
        ("STOREFRONT_DATABASE_URL", None, "STOREFRONT_DATABASE_URL"),
        ("STOREFRONT_DATABASE_URL", "sqlite:///x.db", "STOREFRONT_DATABASE_URL"),
        ("STOREFRONT_STORAGE_BACKEND", "local", "STOREFRONT_STORAGE_BACKEND"),
        ("STOREFRONT_PAYMENTS", "sandbox", "STOREFRONT_PAYMENTS"),
        ("STOREFRONT_QUEUE_URL", None, "STOREFRONT_QUEUE_URL"),
        ("STOREFRONT_MAIL", "outbox", "STOREFRONT_MAIL"),
        ("STOREFRONT_BASE_URL", "http://shop.example.com", "STOREFRONT_BASE_URL"),
        ("STOREFRONT_PLATFORM_KEY_PATH", None, "STOREFRONT_PLATFORM_KEY_PATH"),
        ("STOREFRONT_DDEX_SENDER_DPID", None, "STOREFRONT_DDEX_SENDER_DPID"),
        ("STOREFRONT_C2PA_CERTIFICATE_PATH", None, "STOREFRONT_C2PA_CERTIFICATE_PATH"),
        ("STOREFRONT_C2PA_KEY_PATH", None, "STOREFRONT_C2PA_KEY_PATH"),
        ("STOREFRONT_PASSWORD_TIME_COST", "1", "STOREFRONT_PASSWORD_TIME_COST"),
        ("STOREFRONT_PASSWORD_MEMORY_KIB", "8", "STOREFRONT_PASSWORD_MEMORY_KIB"),
    ],
)
def test_production_refuses_insecure_or_embedded_settings(name, value, named):
    environ = dict(SAFE_PRODUCTION)
    if value is None:
        environ.pop(name)
    else:
        environ[name] = value
    with pytest.raises(ConfigError) as error:
        Settings.from_env(environ)
    assert named in str(error.value) and "production" in str(error.value)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"STOREFRONT_STORAGE_BACKEND": "ftp"}, "STOREFRONT_STORAGE_BACKEND"),
        ({"STOREFRONT_STORAGE_BACKEND": "s3"}, "STOREFRONT_S3_BUCKET"),
        ({"STOREFRONT_PAYMENTS": "stripe"}, "STOREFRONT_STRIPE_SECRET_KEY"),
        ({"STOREFRONT_MAIL": "smtp"}, "STOREFRONT_SMTP_URL"),
        ({"STOREFRONT_AUTH_RATE_LIMIT": "ten"}, "STOREFRONT_AUTH_RATE_LIMIT"),
        ({"STOREFRONT_DOWNLOAD_LINK_SECONDS": "soon"}, "STOREFRONT_DOWNLOAD_LINK_SECONDS"),
        ({"STOREFRONT_DOWNLOAD_LINK_SECONDS": "0"}, "STOREFRONT_DOWNLOAD_LINK_SECONDS"),
        ({"STOREFRONT_UPLOAD_PART_SIZE": "1024"}, "STOREFRONT_UPLOAD_PART_SIZE"),
        ({"STOREFRONT_UPLOAD_MULTIPART_THRESHOLD": "1e9"}, "STOREFRONT_UPLOAD_MULTIPART_THRESHOLD"),
        ({"STOREFRONT_PASSWORD_PARALLELISM": "0"}, "STOREFRONT_PASSWORD_PARALLELISM"),
        ({"STOREFRONT_DEMO_TRACK_SECONDS": "nan"}, "STOREFRONT_DEMO_TRACK_SECONDS"),
        ({"STOREFRONT_DEMO_TRACK_SECONDS": "1e309"}, "STOREFRONT_DEMO_TRACK_SECONDS"),
        ({"STOREFRONT_DDEX_SENDER_DPID": "VELVET"}, "STOREFRONT_DDEX_SENDER_DPID"),
        ({"STOREFRONT_DDEX_SENDER_NAME": " "}, "STOREFRONT_DDEX_SENDER_NAME"),
        ({"STOREFRONT_PAGE_CACHE_BYTES": "-1"}, "STOREFRONT_PAGE_CACHE_BYTES"),
        ({"STOREFRONT_PAGE_CACHE_BYTES": "lots"}, "STOREFRONT_PAGE_CACHE_BYTES"),
    ],
)
def test_inconsistent_settings_name_the_setting(environ, named):
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(environ)


def test_describe_masks_secrets():
    settings = Settings.from_env(SAFE_PRODUCTION)
    described = dict(settings.describe())
    assert described["STOREFRONT_SECRET_KEY"] == "(set)"
    assert "secret" not in described["STOREFRONT_SMTP_URL"]
    assert described["STOREFRONT_STRIPE_SECRET_KEY"] == "(set)"


def test_create_app_refuses_production_with_embedded_defaults(monkeypatch):
    from storefront import create_app

    monkeypatch.setenv("STOREFRONT_ENV", "production")
    with pytest.raises(ConfigError, match="STOREFRONT_SECRET_KEY"):
        create_app()


def test_typed_settings_are_read_from_the_environment():
    settings = Settings.from_env(
        {
            "STOREFRONT_DOWNLOAD_LINK_SECONDS": "120",
            "STOREFRONT_UPLOAD_PART_SIZE": str(8 * 1024**2),
            "STOREFRONT_PASSWORD_MEMORY_KIB": "32768",
            "STOREFRONT_DEMO_TRACK_SECONDS": "2.5",
            "STOREFRONT_DDEX_SENDER_DPID": "PADPIDA2025010101X",
            "STOREFRONT_PLATFORM_RETIRED_KEYS": "/srv/keys/retired.json",
            "STOREFRONT_PAGE_CACHE_BYTES": "0",
        }
    )
    assert settings.page_cache_bytes == 0
    assert (settings.download_link_seconds, settings.upload_part_size, settings.password_memory_kib) == (
        120,
        8 * 1024**2,
        32768,
    )
    assert settings.demo_track_seconds == 2.5 and settings.ddex_sender_dpid == "PADPIDA2025010101X"
    assert settings.resolved_platform_retired_keys == "/srv/keys/retired.json"


def test_settings_given_in_code_have_no_environment_variable():
    settings = Settings.from_env({"STOREFRONT_AUDIO_WORKSHOP": "x", "STOREFRONT_CONTENT_FARM_RULES": "x"})
    assert settings.audio_workshop is None and settings.content_farm_rules is None
    described = dict(settings.describe())
    assert "STOREFRONT_AUDIO_WORKSHOP" not in described and "STOREFRONT_EXTRA" not in described
    assert described["STOREFRONT_DDEX_SENDER_NAME"] == "Velvet"


def test_retired_keys_live_beside_the_key_by_default():
    settings = Settings.from_env({"STOREFRONT_PLATFORM_KEY_PATH": "/srv/keys/platform.pem"})
    assert settings.resolved_platform_retired_keys == "/srv/keys/platform-retired.json"


def test_rate_limits_are_counted_where_every_worker_sees_them():
    assert Settings.from_env({}).resolved_rate_limit_storage_url == "memory://"
    production = Settings.from_env(SAFE_PRODUCTION)
    assert production.resolved_rate_limit_storage_url == SAFE_PRODUCTION["STOREFRONT_QUEUE_URL"]
    with pytest.raises(ConfigError) as error:
        Settings.from_env({**SAFE_PRODUCTION, "STOREFRONT_RATE_LIMIT_STORAGE_URL": "memory://"})
    assert "production" in str(error.value) and "STOREFRONT_RATE_LIMIT_STORAGE_URL" in str(error.value)
    # Celery workers mean several processes even outside production.
    queued = {"STOREFRONT_QUEUE_URL": "redis://cache:6379/0", "STOREFRONT_RATE_LIMIT_STORAGE_URL": "memory://"}
    with pytest.raises(ConfigError, match="STOREFRONT_RATE_LIMIT_STORAGE_URL"):
        Settings.from_env(queued)
    with pytest.raises(ConfigError, match="STOREFRONT_RATE_LIMIT_STORAGE_URL"):
        Settings.from_env({"STOREFRONT_RATE_LIMIT_STORAGE_URL": "memcached://cache:11211"})


def test_there_is_no_untyped_side_channel():
    with pytest.raises(TypeError):
        Settings(extra={"password_hashing": {}})  # type: ignore[call-arg]

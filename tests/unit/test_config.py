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

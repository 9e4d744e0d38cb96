"""The request's services: each room registers how to build its services once; a view asks for one by type.

`find_service(ReleaseService)` builds the service on first use in a request, from the request's session and
the parts the app was built with, and hands the same one back for the rest of that request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app, g, request, url_for
from sqlalchemy.orm import Session

from ..config import Settings
from ..db import get_session

T = TypeVar("T")
# A key is the class of what it finds: a service, or an interface such as ObjectStorage. Protocols are valid
# keys, and mypy refuses them where `type[T]` is expected (python/mypy#4717), so keys are typed as what
# calling them makes; for a class that is an instance of it.
Key = Callable[..., T]
Factory = Callable[["RequestServices"], T]
EXTENSION = "storefront.services"


class ServiceRegistry:
    """How to build each service, keyed by its type. Filled once by create_app; tests may override a key."""

    def __init__(self) -> None:
        self._factories: dict[object, Factory[Any]] = {}
        self._values: dict[object, object] = {}

    def register(self, key: Key[T], factory: Factory[T]) -> None:
        if key in self._factories:
            raise ValueError(f"{_name(key)} is registered twice")
        self._factories[key] = factory

    def register_value(self, key: Key[T], value: T) -> None:
        """One object for the app's whole life, found by its key at wiring time and in every request."""
        self.register(key, lambda _services: value)
        self._values[key] = value

    def value(self, key: Key[T]) -> T:
        """An object registered with `register_value`, for wiring that adds to it."""
        return cast(T, self._values[key])

    def override(self, key: Key[T], factory: Factory[T]) -> Factory[Any] | None:
        """Replace how `key` is built; returns what it replaced (None if none) so a test can put it back."""
        previous = self._factories.get(key)
        self._factories[key] = factory
        return previous

    def restore(self, key: Key[Any], previous: Factory[Any] | None) -> None:
        if previous is None:
            self._factories.pop(key, None)
        else:
            self._factories[key] = previous

    def factory(self, key: Key[T]) -> Factory[T]:
        try:
            return self._factories[key]
        except KeyError:
            raise LookupError(f"no service is registered for {_name(key)}") from None


class RequestServices:
    """The services one request has asked for, each built at most once, all on the request's session."""

    def __init__(self, registry: ServiceRegistry, session: Session) -> None:
        self.registry = registry
        self.session = session
        self._built: dict[object, object] = {}

    def find(self, key: Key[T]) -> T:
        if key not in self._built:
            self._built[key] = self.registry.factory(key)(self)
        return cast(T, self._built[key])


def registry_of(app: Any) -> ServiceRegistry:
    found: ServiceRegistry = app.extensions[EXTENSION]
    return found


def request_services() -> RequestServices:
    session = get_session()
    found: RequestServices | None = g.get("_services")
    # Services live as long as the session they were built on: a new session starts a new set.
    if found is None or found.session is not session:
        found = g._services = RequestServices(registry_of(current_app), session)
    return found


def find_service(key: Key[T]) -> T:
    """The request's service of this type, built on first use."""
    return request_services().find(key)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute address on the public base URL, for mail and documents read outside the site."""
    return find_service(Settings).base_url.rstrip("/") + url_for(endpoint, **values)


def client_ip() -> str:
    return request.remote_addr or "unknown"


def _name(key: object) -> str:
    return getattr(key, "__name__", repr(key))

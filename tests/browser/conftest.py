"""A live server on loopback and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("STOREFRONT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _need_browser() -> None:
    missing = not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM))
    if missing:
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("STOREFRONT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; STOREFRONT_REQUIRE_BROWSER=1 requires the browser tests to run")
        pytest.skip(reason)


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _pages(browser: Any, base_url: str, timeout_ms: int) -> Iterator[Any]:
    """A maker of new pages on `base_url`, each in a browser context of its own (`options` for the
    context); the contexts close when the test ends."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(base_url=base_url, **options)
        context.set_default_timeout(timeout_ms)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(browser: Any, live_server: str) -> Iterator[Any]:
    yield from _pages(browser, live_server, 15_000)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def shop(make_app: Any) -> Iterator[tuple[Any, str]]:
    """An app served on a port chosen before it is built, so the links it writes for itself (the sandbox
    checkout's return address, signed preview links, mail links) point at the server the browser uses."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(base_url=base)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, base
    server.shutdown()
    thread.join(10)


@pytest.fixture
def open_page(browser: Any, shop: tuple[Any, str]) -> Iterator[Any]:
    """New pages on the `shop` server."""
    yield from _pages(browser, shop[1], 20_000)

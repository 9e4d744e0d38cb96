"""The storefront's web process with a meter on it: counts request and response body bytes, for benchmarks."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from werkzeug.serving import make_server

from storefront import create_app

STATS = os.environ["BENCH_STATS_FILE"]
_lock = threading.Lock()
_totals = {"request_body_bytes": 0, "response_body_bytes": 0, "requests": 0}


def _save() -> None:
    with open(STATS + ".tmp", "w") as out:
        json.dump(_totals, out)
    os.replace(STATS + ".tmp", STATS)


class _CountingInput:
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _count(self, data: bytes) -> bytes:
        with _lock:
            _totals["request_body_bytes"] += len(data)
        return data

    def read(self, *args: Any) -> bytes:
        return self._count(self._stream.read(*args))

    def readline(self, *args: Any) -> bytes:
        return self._count(self._stream.readline(*args))

    def __iter__(self) -> Iterator[bytes]:
        for line in self._stream:
            yield self._count(line)


def metered(app: Any) -> Any:
    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["wsgi.input"] = _CountingInput(environ["wsgi.input"])
        result = app(environ, start_response)
        try:
            for chunk in result:
                with _lock:
                    _totals["response_body_bytes"] += len(chunk)
                yield chunk
        finally:
            if hasattr(result, "close"):
                result.close()
            with _lock:
                _totals["requests"] += 1
                _save()

    return wsgi


if __name__ == "__main__":
    _save()
    server = make_server("127.0.0.1", int(sys.argv[1]), metered(create_app()), threaded=True)
    server.serve_forever()

"""Storage that fails on purpose: wraps a real backend and breaks chosen calls a chosen number of times."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError


def server_error(operation: str = "PutObject") -> ClientError:
    return ClientError({"Error": {"Code": "InternalError", "Message": "We encountered an internal error."},
                        "ResponseMetadata": {"HTTPStatusCode": 500}}, operation)


def timeout() -> ReadTimeoutError:
    return ReadTimeoutError(endpoint_url="http://127.0.0.1:1/")


class FaultyStorage:
    """Every attribute is the real backend's, except the methods told to fail."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self._faults: dict[str, list[BaseException]] = {}
        self.calls: dict[str, int] = {}

    def fail(self, method: str, *errors: BaseException) -> FaultyStorage:
        self._faults.setdefault(method, []).extend(errors)
        return self

    def heal(self) -> None:
        self._faults.clear()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            pending = self._faults.get(name)
            if pending:
                raise pending.pop(0)
            return attribute(*args, **kwargs)

        return call

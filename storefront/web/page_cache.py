"""Rendered public pages kept in the web process's memory, found by their ETag (web/caching.py).

A public page's ETag is the digest of everything it is made of: the code and templates, the settings it
shows, its address and host, and its stamp, read from the database on every request. A body stored under an
ETag is therefore the body any worker would render while that ETag is current, and no worker can serve it
once the database has moved on, because its next request reads another stamp and so looks up another key:
a takedown, an edit or a new release is seen by every worker at once, with nothing to tell them. Bodies kept
under stale keys are never asked for again and age out of the least-recently-used end.

Only anonymous requests without any cookie read or fill it (web/caching.py decides), so nothing personal
can be stored or served. It holds at most `capacity` bytes of bodies; 0 turns it off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from werkzeug.wrappers import Response

# A page bigger than this share of the cache is rendered each time rather than evicting everything else.
LARGEST_SHARE = 8


@dataclass(frozen=True)
class StoredPage:
    """What the view answered: its status, the headers it set itself (the app's own are added again on the
    way out, as for any response) and its body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def of(cls, response: Response) -> StoredPage:
        return cls(response.status_code, tuple(response.headers.items()), response.get_data())

    def response(self, response_class: type[Response]) -> Response:
        return response_class(self.body, status=self.status, headers=list(self.headers))


class PageCache:
    """A least-recently-used map of ETags to stored pages, at most `capacity` bytes of bodies in all."""

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError("a page cache's capacity is a number of bytes, 0 or more")
        self.capacity = capacity
        self._pages: OrderedDict[str, StoredPage] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    @property
    def size(self) -> int:
        return self._size

    def get(self, key: str) -> StoredPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: str, page: StoredPage) -> None:
        if len(page.body) * LARGEST_SHARE > self.capacity:
            return
        with self._lock:
            previous = self._pages.pop(key, None)
            if previous is not None:
                self._size -= len(previous.body)
            self._pages[key] = page
            self._size += len(page.body)
            while self._size > self.capacity:
                _, evicted = self._pages.popitem(last=False)
                self._size -= len(evicted.body)

"""One HTTP watch response: query parsing, initial events or replay, then the live event pump."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from pykro.apiserver.machinery import media
from pykro.apiserver.machinery.selectors import parse_field_selector, parse_label_selector
from pykro.apiserver.machinery.status import ApiError, bad_request, gone
from pykro.apiserver.registry.kinds import ServedKind
from pykro.apiserver.storage.store import Store
from pykro.apiserver.storage.watch import Event, Watcher

Render = Callable[[str, dict[str, Any]], dict[str, Any]]


class WatchStream:
    def __init__(
        self,
        store: Store,
        kind: ServedKind,
        namespace: str | None,
        fmt: str,
        render: Render,
        *,
        bookmark_interval: float,
        default_timeout: float,
    ) -> None:
        self.store = store
        self.kind = kind
        self.namespace = namespace
        self.fmt = fmt
        self.render = render
        self.bookmark_interval = bookmark_interval
        self.default_timeout = default_timeout

    async def serve(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        labels = parse_label_selector(q.get("labelSelector"))
        fields = parse_field_selector(q.get("fieldSelector"))
        rv_text = q.get("resourceVersion", "")
        try:
            since = int(rv_text) if rv_text not in ("", "0") else None
        except ValueError:
            raise bad_request(f"invalid resourceVersion {rv_text!r}") from None
        # Without a version (or with "0") the real server starts with the current objects.
        send_initial = media.truthy(q.get("sendInitialEvents")) if "sendInitialEvents" in q else since is None
        bookmarks = "allowWatchBookmarks" in q and media.truthy(q.get("allowWatchBookmarks"))
        timeout = self.default_timeout
        if q.get("timeoutSeconds"):
            try:
                timeout = float(q["timeoutSeconds"])
            except ValueError:
                raise bad_request("invalid timeoutSeconds") from None
        resp = web.StreamResponse(headers={"Content-Type": "application/json", "Cache-Control": "no-cache"})
        resp.enable_chunked_encoding()
        start_rv = self.store.rv
        watcher = Watcher(
            self.kind.gr, self.namespace, labels, fields, since if since is not None else start_rv
        )
        initial: list[dict[str, Any]] = []
        # Snapshot and subscription happen without an await in between, so no event falls in a gap.
        try:
            if send_initial:
                # Through the label index, as a LIST: in proportion to what is sent, not to all objects.
                initial = [
                    o
                    for o in self.store.candidates(self.kind.gr, self.namespace, labels.requirements)
                    if labels.matches(o["metadata"].get("labels")) and fields.matches(o)
                ]
                watcher.min_rv = start_rv
                self.store.log.subscribe(watcher, None)
            else:
                self.store.log.subscribe(watcher, since)
        except ApiError as err:
            if err.code != 410:
                raise
            # The real server reports an expired version as an ERROR event in a 200 stream.
            await resp.prepare(request)
            await resp.write(
                json.dumps({"type": "ERROR", "object": gone(err.message).status()}).encode() + b"\n"
            )
            await resp.write_eof()
            return resp
        try:
            await resp.prepare(request)
            if initial:
                await resp.write(
                    b"".join(
                        Event(0, "ADDED", self.kind.gr, o, None).encoded(self.fmt, self.render)
                        for o in initial
                    )
                )
            if send_initial and bookmarks:
                await resp.write(self._bookmark(start_rv, initial_end=True))
            await self._pump(resp, watcher, timeout, bookmarks)
        except ConnectionError:
            pass  # the client went away
        finally:
            self.store.log.unsubscribe(watcher)
        return resp

    def _bookmark(self, rv: int, *, initial_end: bool = False) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": self.kind.kind, "apiVersion": self.kind.api_version, "metadata": meta}
        return json.dumps({"type": "BOOKMARK", "object": obj}, separators=(",", ":")).encode() + b"\n"

    async def _pump(
        self, resp: web.StreamResponse, watcher: Watcher, timeout: float, bookmarks: bool
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last_sent = watcher.min_rv
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            wait = min(remaining, self.bookmark_interval) if bookmarks else remaining
            try:
                # A timeout scope, not wait_for: that would wrap every get in a new task.
                async with asyncio.timeout(wait):
                    ev = await watcher.queue.get()
            except TimeoutError:
                if bookmarks:  # idle: everything published so far has been sent or filtered out
                    await resp.write(self._bookmark(max(last_sent, self.store.log.last_rv)))
                continue
            if ev is None:
                return
            # Drain what is already queued into one write: fewer syscalls under bursts.
            chunks = [ev.encoded(self.fmt, self.render)]
            last_sent = ev.rv
            closed = False
            while not watcher.queue.empty():
                nxt = watcher.queue.get_nowait()
                if nxt is None:
                    closed = True
                    break
                chunks.append(nxt.encoded(self.fmt, self.render))
                last_sent = nxt.rv
            await resp.write(b"".join(chunks))
            if closed:
                return

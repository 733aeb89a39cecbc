"""Durable storage in SQLite with group commit.

All writes go through one dedicated thread. Requests that arrive while a commit is
in flight are batched into the next transaction, so `synchronous=FULL` (one fsync per
commit) does not cap throughput at one write per fsync, and the event loop never
waits on the disk.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (rv INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, data TEXT
NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_MAX_BATCH = 2000


@dataclass(frozen=True)
class Record:
    """One committed change: the object after it (or its last state, for deletions)."""

    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    key: str
    data: str  # JSON of the object


@dataclass(frozen=True)
class Snapshot:
    objects: list[tuple[str, dict[str, Any]]]
    events: list[tuple[int, str, str, dict[str, Any]]]
    rv: int


def connect(path: Path) -> sqlite3.Connection:
    # The database holds every Secret: owner-only, like etcd's data. SQLite creates the -wal and -shm
    # files with the database file's permissions; files made by older versions are tightened here.
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists():
            os.chmod(part, 0o600)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(_SCHEMA)
    return conn


class SqliteBackend:
    """Objects, the retained event window and the resourceVersion counter."""

    def __init__(self, path: Path, window: int) -> None:
        self._path = path
        self._window = window
        self._queue: queue.Queue[tuple[list[Record], Callable[[BaseException | None], None]] | None] = (
            queue.Queue()
        )
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None

    def load(self) -> Snapshot:
        conn = connect(self._path)
        self._conn = conn
        objects = [(k, json.loads(d)) for k, d in conn.execute("SELECT key, data FROM objects")]
        events = [
            (rv, t, k, json.loads(d))
            for rv, t, k, d in conn.execute("SELECT rv, type, key, data FROM events ORDER BY rv")
        ]
        row = conn.execute("SELECT value FROM meta WHERE name='rv'").fetchone()
        rv = int(row[0]) if row else 0
        if events:
            rv = max(rv, events[-1][0])
        return Snapshot(objects, events, rv)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pykro-sqlite", daemon=True)
        self._thread.start()

    def submit(self, records: list[Record], done: Callable[[BaseException | None], None]) -> None:
        """Queue records; `done` is called from the writer thread once they are durable."""
        self._queue.put((records, done))

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _run(self) -> None:
        conn = self._conn
        assert conn is not None
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < _MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            error: BaseException | None = None
            try:
                self._commit(conn, [r for records, _ in batch for r in records])
            except BaseException as exc:  # report to every waiting request
                error = exc
            for _, done in batch:
                done(error)

    def _commit(self, conn: sqlite3.Connection, records: list[Record]) -> None:
        if not records:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            for r in records:
                if r.type == "DELETED":
                    conn.execute("DELETE FROM objects WHERE key=?", (r.key,))
                else:
                    conn.execute("INSERT OR REPLACE INTO objects (key, data) VALUES (?, ?)", (r.key, r.data))
            conn.executemany(
                "INSERT OR REPLACE INTO events (rv, type, key, data) VALUES (?, ?, ?, ?)",
                [(r.rv, r.type, r.key, r.data) for r in records],
            )
            top = max(r.rv for r in records)
            conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('rv', ?)", (str(top),))
            conn.execute("DELETE FROM events WHERE rv <= ?", (top - self._window,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def future_callback(
    loop: asyncio.AbstractEventLoop, fut: asyncio.Future[None]
) -> Callable[[BaseException | None], None]:
    """A thread-safe completion callback that resolves `fut` on `loop`."""

    def resolve(error: BaseException | None) -> None:
        def apply() -> None:
            if fut.done():
                return
            if error is None:
                fut.set_result(None)
            else:
                fut.set_exception(error)

        loop.call_soon_threadsafe(apply)

    return resolve

"""The incident journal: what the agent saw, kept across restarts, in one SQLite file.

What is stored (all times UTC seconds since the epoch; worded text never, reason codes only):
- `verdicts`: every change of verdict (and every manual `check`), with reasons, service states
  and figures;
- `incidents`: each non-ok period, its phases (a change of cause inside it), the services it
  touched (worst state), the peak of each figure, and the distinct evidence (reason codes);
- `availability`: per service and UTC hour, seconds observed ok and seconds observed at all
  (`unknown` counts as neither: the agent could not see the service);
- `notes` the seller adds, attached to the incident of their time;
- `budget`: the throughput data budget per UTC day, shared by every process on the file;
- `counters`: incidents opened per cause, never pruned (a Prometheus counter must not fall).

Incident rule: a non-ok verdict opens an incident. The first ok verdict after it is the
incident's provisional end; the incident closes once ok has held for `MERGE_GAP` seconds. A
non-ok verdict of the same cause before then continues the incident (the short ok stretch is
inside it); a different cause after an ok stretch starts a new incident. A change of cause with
no ok between is a new phase of the same incident.

Durability: WAL with `synchronous=FULL`. In WAL mode every commit is appended to the -wal file;
with FULL that append is fsync'ed before COMMIT returns, so a power cut loses at most the
transaction being written, i.e. the last round (one `observe` is one transaction). NORMAL
would survive kill -9 just as well (the OS keeps written pages) but a power cut could roll back
every commit since the last checkpoint, minutes of rounds. The price of FULL is one fsync per
round, every 30 s or so: nothing.

Failure: `Journal.open` never raises. A file that is not a database is moved aside to
`journal.db.corrupt-<UTC time>` and a new one is started; a directory that cannot be written
gives an unhealthy journal whose writes do nothing (the budget is then kept in memory, so one
process still keeps a day's budget). `problem` is the one line to log; `healthy` feeds
`ozon_probe_journal_healthy`.
"""

from __future__ import annotations

import fcntl
import functools
import json
import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILENAME = "journal.db"
SCHEMA_VERSION = 1
#: an ok stretch shorter than this between two non-ok periods of one cause joins them
MERGE_GAP = 120.0
#: a gap between rounds longer than this was not observed (the agent was stopped): it counts
#: for no service's availability
MAX_ROUND_GAP = 300.0
#: an off journal tries to open its file again this often (from observe)
RETRY_EVERY = 600.0
#: an open incident with no round for this long is closed where it was last seen
STALE_AFTER = 3600.0
#: distinct pieces of evidence kept per incident (later ones only refresh these)
MAX_EVIDENCE = 60
DEFAULT_RETENTION_DAYS = 90
DEFAULT_MAX_BYTES = 200_000_000
MIN_MAX_BYTES = 1_000_000
RETENTION_EVERY = 3600.0
SERVICE_STATES = ("ok", "degraded", "down", "unknown")
_WORSE = {"ok": 0, "unknown": 0, "degraded": 1, "down": 2}
BUSY_TIMEOUT = 10.0

_SCHEMA_V1 = """
CREATE TABLE verdicts (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, cause TEXT NOT NULL, manual INTEGER NOT NULL,
    reasons TEXT NOT NULL, services TEXT NOT NULL, figures TEXT NOT NULL);
CREATE INDEX verdicts_at ON verdicts(at);
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY, start REAL NOT NULL, ok_since REAL, closed INTEGER NOT NULL,
    last_bad REAL NOT NULL, services TEXT NOT NULL, peaks TEXT NOT NULL,
    manual_only INTEGER NOT NULL);
CREATE INDEX incidents_start ON incidents(start);
CREATE TABLE phases (
    incident_id INTEGER NOT NULL, start REAL NOT NULL, cause TEXT NOT NULL);
CREATE INDEX phases_incident ON phases(incident_id);
CREATE TABLE evidence (
    incident_id INTEGER NOT NULL, code TEXT NOT NULL, params TEXT NOT NULL,
    first_at REAL NOT NULL, last_at REAL NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (incident_id, code, params));
CREATE TABLE availability (
    service TEXT NOT NULL, hour INTEGER NOT NULL, ok_s REAL NOT NULL, seen_s REAL NOT NULL,
    PRIMARY KEY (service, hour));
CREATE TABLE notes (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, incident_id INTEGER, text TEXT NOT NULL);
CREATE TABLE budget (
    day TEXT PRIMARY KEY, used INTEGER NOT NULL, reserved INTEGER NOT NULL);
CREATE TABLE counters (cause TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE state (k TEXT PRIMARY KEY, v TEXT NOT NULL);
"""
#: schema version n-1 -> n; a new version appends a script here, never edits an old one
_MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1}


@dataclass(frozen=True)
class Phase:
    start: float
    cause: str


@dataclass(frozen=True)
class Evidence:
    code: str
    params: dict[str, Any]
    first_at: float
    last_at: float
    count: int


@dataclass(frozen=True)
class Note:
    id: int
    at: float
    incident_id: int | None
    text: str


@dataclass(frozen=True)
class Incident:
    id: int
    start: float
    #: first ok verdict after it (provisional while `ongoing`); None while still broken
    end: float | None
    ongoing: bool
    last_bad: float
    phases: list[Phase]
    #: service id -> the worst state it was seen in (degraded or down)
    services: dict[str, str]
    peaks: dict[str, float]
    evidence: list[Evidence] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    manual_only: bool = False

    @property
    def cause(self) -> str:
        """The cause that held longest (a short first phase does not name the incident)."""
        spans: dict[str, float] = {}
        stop = self.end if self.end is not None else self.last_bad
        for i, p in enumerate(self.phases):
            nxt = self.phases[i + 1].start if i + 1 < len(self.phases) else max(stop, p.start)
            spans[p.cause] = spans.get(p.cause, 0.0) + (nxt - p.start)
        return max(spans, key=lambda c: spans[c]) if spans else "unknown"

    @property
    def causes(self) -> list[str]:
        return list(dict.fromkeys(p.cause for p in self.phases))

    def duration(self, now: float) -> float:
        return (self.end if self.end is not None else now) - self.start


@dataclass(frozen=True)
class VerdictChange:
    at: float
    cause: str
    manual: bool
    reasons: list[dict[str, Any]]
    services: dict[str, str]
    figures: dict[str, float]


def utc_day(at: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(at))


def resolve_state_dir(
    flag: str | None = None,
    configured: str | None = None,
    env: Mapping[str, str] | None = None,
    euid: int | None = None,
) -> Path:
    """--state-dir > config `state_dir` > $STATE_DIRECTORY (systemd's StateDirectory=) >
    /var/lib/ozon-probe for root when writable > $XDG_STATE_HOME/ozon-probe."""
    env = os.environ if env is None else env
    if flag:
        return Path(flag).expanduser()
    if configured:
        return Path(configured).expanduser()
    if env.get("STATE_DIRECTORY"):
        # systemd may pass several, colon-separated: ours is the first
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    system = Path("/var/lib/ozon-probe")
    if (os.geteuid() if euid is None else euid) == 0:
        probe = system if system.is_dir() else system.parent
        if os.access(probe, os.W_OK):
            return system
    xdg = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local/state")
    return Path(xdg) / "ozon-probe"


def _one_line(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    return " ".join(text.split())


def _dumps(value: Any) -> str:
    # default=str: an odd parameter (an enum, a Path) is kept as text, not a failed round
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


class Journal:
    """One SQLite journal file. Methods never raise: a failing journal turns unhealthy."""

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection | None,
        problem: str,
        retention_days: int,
        max_bytes: int,
        clock: Callable[[], float],
    ) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._secrets: tuple[str, ...] = ()
        self._conn = conn
        self.problem = problem
        self.retention_days = retention_days
        self.max_bytes = max(MIN_MAX_BYTES, max_bytes)
        self.clock = clock
        self._last_retention = -math.inf
        self._last_retry = clock()
        self._fallback_budget: dict[str, list[int]] = {}  # day -> [used, reserved]

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        state_dir: Path,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
        secrets: Iterable[str] = (),
    ) -> Journal:
        """`secrets` (the Seller API key, ...) are scrubbed from whatever is written, in case a
        reason or a note carries one that was not redacted upstream."""
        journal = cls._open(Path(state_dir), retention_days, max_bytes, clock)
        journal._secrets = tuple(sorted({x for x in secrets if len(x) >= 4}, key=len, reverse=True))
        return journal

    @classmethod
    def _open(
        cls, state_dir: Path, retention_days: int, max_bytes: int, clock: Callable[[], float]
    ) -> Journal:
        path = state_dir / FILENAME
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            return cls(
                path, None, f"journal off: cannot create {path.parent}: {e.strerror or e}",
                retention_days, max_bytes, clock,
            )  # fmt: skip
        # processes that open one journal at once (the daemon and `check`, two `check`s)
        # take turns: one may be creating the file while another looks at it, and a file
        # caught half-made must not be taken for a corrupt one and moved aside (it was: two
        # processes then spent the data budget in two files, twice the day's allowance)
        with _opening(path):
            return cls._open_locked(path, retention_days, max_bytes, clock)

    @classmethod
    def _open_locked(
        cls, path: Path, retention_days: int, max_bytes: int, clock: Callable[[], float]
    ) -> Journal:
        problem = ""
        try:
            conn = cls._connect(path, max_bytes)
        except sqlite3.DatabaseError as e:
            if not _is_corruption(e):
                return cls(
                    path, None, f"journal off: cannot open {path}: {_one_line(e)}",
                    retention_days, max_bytes, clock,
                )  # fmt: skip
            aside = path.with_name(
                f"{FILENAME}.corrupt-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
            )
            try:
                for suffix in ("", "-wal", "-shm"):
                    src = Path(str(path) + suffix)
                    if src.exists():
                        src.rename(Path(str(aside) + suffix))
                conn = cls._connect(path, max_bytes)
            except (OSError, sqlite3.Error) as e2:
                return cls(
                    path, None,
                    f"journal off: {path} is corrupt and cannot be replaced: {_one_line(e2)}",
                    retention_days, max_bytes, clock,
                )  # fmt: skip
            problem = f"journal {path} was corrupt: moved aside to {aside.name}, started a new one"
        except OSError as e:
            return cls(
                path, None, f"journal off: cannot open {path}: {_one_line(e)}",
                retention_days, max_bytes, clock,
            )  # fmt: skip
        return cls(path, conn, problem, retention_days, max_bytes, clock)

    @staticmethod
    def _connect(path: Path, max_bytes: int) -> sqlite3.Connection:
        # the daemon writes from its event loop and the listener reads from its worker threads
        # (metrics, history): one connection shared under the journal's lock
        conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        try:
            # the version and the tables read in one snapshot: between two separate reads
            # another process may commit its first migration
            conn.execute("BEGIN")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            conn.execute("COMMIT")
            if version == 0 and tables:
                raise sqlite3.DatabaseError("file is not a database (unknown tables, no version)")
            if version > SCHEMA_VERSION:
                raise sqlite3.OperationalError(
                    f"schema version {version} is newer than this agent's {SCHEMA_VERSION}"
                )
            if version == 0:
                # incremental auto-vacuum must be chosen before the first table exists
                conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            if conn.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
                raise sqlite3.OperationalError("cannot switch to WAL mode")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=OFF")
            page = int(conn.execute("PRAGMA page_size").fetchone()[0])
            # the hard stop; the soft bound (trimming the oldest rows) starts at 90% of it
            conn.execute(f"PRAGMA max_page_count={max(256, max(MIN_MAX_BYTES, max_bytes) // page)}")
            while version < SCHEMA_VERSION:
                conn.execute("BEGIN IMMEDIATE")
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                if current == version:  # another process may have migrated meanwhile
                    # statement by statement: executescript() would commit the open transaction
                    for statement in _MIGRATIONS[version + 1].split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version={version + 1}")
                conn.execute("COMMIT")
                version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("SELECT count(*) FROM state").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        if self._conn is not None:
            with suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def _retry(self, now: float) -> bool:
        """An off journal tries again every RETRY_EVERY seconds (a full disk freed, a mount
        back); what the in-memory budget spent meanwhile is carried into the file."""
        if now - self._last_retry < RETRY_EVERY:
            return False
        self._last_retry = now
        fresh = Journal._open(self.path.parent, self.retention_days, self.max_bytes, self.clock)
        if fresh._conn is None:
            return False
        self._conn, fresh._conn = fresh._conn, None
        log.warning(
            "journal %s is recording again%s",
            self.path,
            f" ({fresh.problem})" * bool(fresh.problem),
        )
        self.problem = fresh.problem
        try:
            with self._write() as db:
                for day, (used, _reserved) in self._fallback_budget.items():
                    db.execute(
                        "INSERT INTO budget VALUES (?, ?, 0) ON CONFLICT(day)"
                        " DO UPDATE SET used = used + excluded.used",
                        (day, used),
                    )
            self._fallback_budget.clear()
        except sqlite3.Error as e:
            self._fail("carrying the budget over", e)
            return False
        return True

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    @property
    def healthy(self) -> bool:
        return self._conn is not None

    def _fail(self, what: str, e: BaseException) -> None:
        line = f"journal off: {what} failed: {_one_line(e)}"
        if self._conn is not None:
            log.error("%s", line)
            with suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None
        self.problem = line

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        assert self._conn is not None
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- writing --------------------------------------------------------------------------

    def observe(
        self,
        at: float,
        cause: str,
        reasons: list[dict[str, Any]],
        services: dict[str, str],
        figures: dict[str, float],
        manual: bool = False,
    ) -> None:
        """Record one diagnosis (a probe round, or `check` with manual=True). One transaction."""
        if self._conn is None and not self._retry(at):
            return
        try:
            self._retention_maybe(at)
            try:
                self._observe(at, cause, reasons, services, figures, manual)
            except sqlite3.OperationalError as e:
                if "full" not in str(e).lower():
                    raise
                # the hard size stop: make room once, then try again
                self.trim(force=True)
                self._observe(at, cause, reasons, services, figures, manual)
        except (sqlite3.Error, OSError, ValueError, TypeError, AttributeError) as e:
            # AttributeError/TypeError: reasons that are not dicts; the round is lost, not the agent
            self._fail("recording a round", e)

    def _observe(
        self,
        at: float,
        cause: str,
        reasons: list[dict[str, Any]],
        services: dict[str, str],
        figures: dict[str, float],
        manual: bool,
    ) -> None:
        clean_figures = {
            k: float(v)
            for k, v in figures.items()
            if isinstance(v, int | float) and math.isfinite(float(v))
        }
        with self._write() as db:
            state = dict(db.execute("SELECT k, v FROM state").fetchall())
            last_cause = state.get("last_cause")
            if manual or cause != last_cause:
                db.execute(
                    "INSERT INTO verdicts(at, cause, manual, reasons, services, figures)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (at, cause, int(manual), self._scrub(_dumps(reasons)), _dumps(services),
                     _dumps(clean_figures)),
                )  # fmt: skip
            if not manual:
                last_at = float(state["last_at"]) if "last_at" in state else None
                if last_at is not None and 0 < at - last_at <= MAX_ROUND_GAP:
                    self._count_availability(db, last_at, at, services)
                db.execute("INSERT OR REPLACE INTO state VALUES ('last_at', ?)", (repr(at),))
                # the daemon's verdict changes: a manual check between two rounds is no change
                db.execute("INSERT OR REPLACE INTO state VALUES ('last_cause', ?)", (cause,))
            self._track_incident(db, at, cause, reasons, services, clean_figures, manual)

    @staticmethod
    def _count_availability(
        db: sqlite3.Connection, start: float, end: float, services: dict[str, str]
    ) -> None:
        """The state seen at the end of a round stands for the time since the round before."""
        for service, st in services.items():
            if st not in ("ok", "degraded", "down"):
                continue  # unknown: not observed, neither up nor down
            t = start
            while t < end:
                hour = int(t // 3600)
                stop = min(end, (hour + 1) * 3600.0)
                span = stop - t
                db.execute(
                    "INSERT INTO availability VALUES (?, ?, ?, ?) ON CONFLICT(service, hour)"
                    " DO UPDATE SET ok_s = ok_s + excluded.ok_s, seen_s = seen_s + excluded.seen_s",
                    (service, hour, span if st == "ok" else 0.0, span),
                )
                t = stop

    def _track_incident(
        self,
        db: sqlite3.Connection,
        at: float,
        cause: str,
        reasons: list[dict[str, Any]],
        services: dict[str, str],
        figures: dict[str, float],
        manual: bool,
    ) -> None:
        row = db.execute(
            "SELECT id, ok_since, services, peaks, manual_only, last_bad FROM incidents"
            " WHERE closed = 0 ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is not None and at - max(row[5], row[1] or 0.0) > STALE_AFTER:
            # nothing was observed for a long while (the agent was off): the old incident ends
            # where it was last seen, and what is seen now is judged on its own
            db.execute(
                "UPDATE incidents SET closed = 1, ok_since = coalesce(ok_since, last_bad)"
                " WHERE id = ?",
                (row[0],),
            )
            row = None
        if cause == "ok":
            if row is None:
                return
            iid, ok_since = row[0], row[1]
            if ok_since is None:
                db.execute("UPDATE incidents SET ok_since = ? WHERE id = ?", (at, iid))
            elif at - ok_since >= MERGE_GAP:
                db.execute("UPDATE incidents SET closed = 1 WHERE id = ?", (iid,))
            return
        if row is not None:
            iid, ok_since = row[0], row[1]
            last_phase = db.execute(
                "SELECT cause FROM phases WHERE incident_id = ? ORDER BY start DESC, rowid DESC"
                " LIMIT 1",
                (iid,),
            ).fetchone()[0]
            if ok_since is not None and (at - ok_since >= MERGE_GAP or cause != last_phase):
                db.execute("UPDATE incidents SET closed = 1 WHERE id = ?", (iid,))
                row = None
            else:
                if cause != last_phase:
                    db.execute("INSERT INTO phases VALUES (?, ?, ?)", (iid, at, cause))
                worst = json.loads(row[2])
                peaks = json.loads(row[3])
                db.execute(
                    "UPDATE incidents SET ok_since = NULL, last_bad = ?, services = ?, peaks = ?,"
                    " manual_only = ? WHERE id = ?",
                    (at, _dumps(_worst(worst, services)), _dumps(_peaks(peaks, figures)),
                     int(bool(row[4]) and manual), iid),
                )  # fmt: skip
        if row is None:
            cur = db.execute(
                "INSERT INTO incidents(start, ok_since, closed, last_bad, services, peaks,"
                " manual_only) VALUES (?, NULL, 0, ?, ?, ?, ?)",
                (at, at, _dumps(_worst({}, services)), _dumps(_peaks({}, figures)), int(manual)),
            )
            iid = int(cur.lastrowid or 0)
            db.execute("INSERT INTO phases VALUES (?, ?, ?)", (iid, at, cause))
            db.execute(
                "INSERT INTO counters VALUES (?, 1) ON CONFLICT(cause) DO UPDATE SET n = n + 1",
                (cause,),
            )
        for r in reasons:
            if not isinstance(r, dict):
                continue  # not a reason code: kept in the verdict row as it came, not as evidence
            code = str(r.get("code", "unknown"))
            params = self._scrub(_dumps(r.get("params") or {}))
            updated = db.execute(
                "UPDATE evidence SET last_at = ?, count = count + 1"
                " WHERE incident_id = ? AND code = ? AND params = ?",
                (at, iid, code, params),
            ).rowcount
            if not updated:
                n = db.execute(
                    "SELECT count(*) FROM evidence WHERE incident_id = ?", (iid,)
                ).fetchone()[0]
                if n < MAX_EVIDENCE:
                    db.execute(
                        "INSERT INTO evidence VALUES (?, ?, ?, ?, ?, 1)",
                        (iid, code, params, at, at),
                    )

    def add_note(self, text: str, at: float | None = None) -> int:
        """A seller's note, attached to the incident open at that time (or the nearest one
        within a day). Returns its id; 0 when the journal is off."""
        text = self._scrub(" ".join(str(text).split())[:2000])
        if self._conn is None or not text:
            return 0
        at = self.clock() if at is None else at
        try:
            with self._write() as db:
                row = db.execute(
                    "SELECT id, min(abs(start - ?), abs(coalesce(ok_since, last_bad) - ?)) AS d,"
                    " start <= ? AND (closed = 0 OR coalesce(ok_since, last_bad) >= ?) AS inside"
                    " FROM incidents WHERE start <= ? + 86400 AND coalesce(ok_since, last_bad)"
                    " >= ? - 86400 ORDER BY inside DESC, d ASC LIMIT 1",
                    (at, at, at, at, at, at),
                ).fetchone()
                cur = db.execute(
                    "INSERT INTO notes(at, incident_id, text) VALUES (?, ?, ?)",
                    (at, row[0] if row else None, text),
                )
                return int(cur.lastrowid or 0)
        except (sqlite3.Error, OSError) as e:
            self._fail("adding a note", e)
            return 0

    # -- the throughput budget, shared by processes ----------------------------------------

    def reserve(self, day: str, amount: int, daily: int) -> bool:
        """Reserve `amount` bytes of `day`'s budget; False (nothing reserved) when it would pass
        `daily`. BEGIN IMMEDIATE: two processes cannot both read the same remainder."""
        if amount < 0:
            return False
        if self._conn is not None:
            try:
                with self._write() as db:
                    used, reserved = _budget_row(db, day)
                    if used + reserved + amount > daily:
                        return False
                    db.execute(
                        "INSERT INTO budget VALUES (?, ?, ?) ON CONFLICT(day)"
                        " DO UPDATE SET reserved = reserved + excluded.reserved",
                        (day, 0, amount),
                    )
                    return True
            except (sqlite3.Error, OSError) as e:
                self._fail("reserving data budget", e)
        used_reserved = self._fallback_budget.setdefault(day, [0, 0])
        if sum(used_reserved) + amount > daily:
            return False
        used_reserved[1] += amount
        return True

    def settle(self, day: str, reserved: int, used: int) -> None:
        if self._conn is not None:
            try:
                with self._write() as db:
                    db.execute(
                        "INSERT INTO budget VALUES (?, ?, 0) ON CONFLICT(day) DO UPDATE SET"
                        " used = used + excluded.used, reserved = max(0, reserved - ?)",
                        (day, max(0, used), max(0, reserved)),
                    )
                return
            except (sqlite3.Error, OSError) as e:
                self._fail("settling data budget", e)
        used_reserved = self._fallback_budget.setdefault(day, [0, 0])
        used_reserved[0] += max(0, used)
        used_reserved[1] = max(0, used_reserved[1] - max(0, reserved))

    def spent(self, day: str) -> int:
        """Bytes used or still reserved on `day` (a reservation counts until it is settled)."""
        if self._conn is not None:
            try:
                used, reserved = _budget_row(self._conn, day)
                return used + reserved
            except sqlite3.Error as e:
                self._fail("reading data budget", e)
        return sum(self._fallback_budget.get(day, [0, 0]))

    # -- reading --------------------------------------------------------------------------

    def _read(self, what: str, query: str, args: tuple[Any, ...]) -> list[Any]:
        if self._conn is None:
            return []
        try:
            return self._conn.execute(query, args).fetchall()
        except sqlite3.Error as e:
            self._fail(what, e)
            return []

    def incidents(self, since: float, until: float | None = None) -> list[Incident]:
        """Incidents that overlap [since, until], oldest first."""
        until = math.inf if until is None else until
        rows = self._read(
            "reading incidents",
            "SELECT id FROM incidents WHERE start <= ? AND (closed = 0 OR"
            " coalesce(ok_since, last_bad) >= ?) ORDER BY start",
            (until if math.isfinite(until) else 1e18, since),
        )
        out = [self.incident(int(r[0])) for r in rows]
        return [i for i in out if i is not None]

    def incident(self, incident_id: int) -> Incident | None:
        rows = self._read(
            "reading an incident",
            "SELECT id, start, ok_since, closed, last_bad, services, peaks, manual_only"
            " FROM incidents WHERE id = ?",
            (incident_id,),
        )
        if not rows:
            return None
        iid, start, ok_since, closed, last_bad, services, peaks, manual_only = rows[0]
        phases = [
            Phase(float(s), str(c))
            for s, c in self._read(
                "reading phases",
                "SELECT start, cause FROM phases WHERE incident_id = ? ORDER BY start, rowid",
                (iid,),
            )
        ]
        evidence = [
            Evidence(str(c), json.loads(p), float(f), float(la), int(n))
            for c, p, f, la, n in self._read(
                "reading evidence",
                "SELECT code, params, first_at, last_at, count FROM evidence"
                " WHERE incident_id = ? ORDER BY first_at, code",
                (iid,),
            )
        ]
        notes = [
            Note(int(n), float(a), iid, str(t))
            for n, a, t in self._read(
                "reading notes",
                "SELECT id, at, text FROM notes WHERE incident_id = ? ORDER BY at",
                (iid,),
            )
        ]
        return Incident(
            id=int(iid),
            start=float(start),
            end=None if ok_since is None else float(ok_since),
            ongoing=not closed,
            last_bad=float(last_bad),
            phases=phases,
            services=json.loads(services),
            peaks=json.loads(peaks),
            evidence=evidence,
            notes=notes,
            manual_only=bool(manual_only),
        )

    def timeline(self, since: float, until: float | None = None) -> list[VerdictChange]:
        """Verdict changes since `since`, with the one in force at `since` first (so a
        timeline always starts with what held at its left edge)."""
        until = 1e18 if until is None else until
        rows = self._read(
            "reading the timeline",
            "SELECT at, cause, manual, reasons, services, figures FROM verdicts WHERE id >="
            " coalesce((SELECT max(id) FROM verdicts WHERE at <= ? AND manual = 0), 0)"
            " AND at <= ? ORDER BY at, id",
            (since, until),
        )
        return [
            VerdictChange(float(a), str(c), bool(m), json.loads(r), json.loads(s), json.loads(f))
            for a, c, m, r, s, f in rows
        ]

    def availability(self, service: str, since: float, until: float | None = None) -> float | None:
        """Share of observed time the service was ok, over whole UTC hours from `since`'s
        hour; None when it was never observed."""
        rows = self._read(
            "reading availability",
            "SELECT sum(ok_s), sum(seen_s) FROM availability"
            " WHERE service = ? AND hour >= ? AND hour <= ?",
            (service, int(since // 3600), int((1e15 if until is None else until) // 3600)),
        )
        if not rows or not rows[0][1]:
            return None
        return float(rows[0][0]) / float(rows[0][1])

    def services(self, since: float) -> list[str]:
        rows = self._read(
            "reading services",
            "SELECT DISTINCT service FROM availability WHERE hour >= ? ORDER BY service",
            (int(since // 3600),),
        )
        return [str(r[0]) for r in rows]

    def notes(self, since: float, until: float | None = None) -> list[Note]:
        rows = self._read(
            "reading notes",
            "SELECT id, at, incident_id, text FROM notes WHERE at >= ? AND at <= ? ORDER BY at",
            (since, 1e18 if until is None else until),
        )
        return [
            Note(int(i), float(a), None if n is None else int(n), str(t)) for i, a, n, t in rows
        ]

    def counts_by_cause(self) -> dict[str, int]:
        """Incidents ever opened per cause (not pruned by retention): for a Prometheus counter."""
        return {
            str(c): int(n)
            for c, n in self._read("reading counters", "SELECT cause, n FROM counters", ())
        }

    # -- retention and the size bound --------------------------------------------------------

    def _retention_maybe(self, now: float) -> None:
        if now - self._last_retention >= RETENTION_EVERY:
            self._last_retention = now
            self.prune(now)

    def prune(self, now: float | None = None) -> None:
        """Delete what is older than `retention_days`, then keep the file under its bound."""
        if self._conn is None:
            return
        now = self.clock() if now is None else now
        cut = now - self.retention_days * 86400.0
        try:
            with self._write() as db:
                old = (
                    "SELECT id FROM incidents WHERE closed = 1 AND coalesce(ok_since, last_bad) < ?"
                )
                for table in ("phases", "evidence"):
                    db.execute(f"DELETE FROM {table} WHERE incident_id IN ({old})", (cut,))
                db.execute(
                    "DELETE FROM notes WHERE at < ?"
                    f" AND (incident_id IS NULL OR incident_id IN ({old}))",
                    (cut, cut),
                )
                db.execute(
                    "DELETE FROM incidents WHERE closed = 1 AND coalesce(ok_since, last_bad) < ?",
                    (cut,),
                )
                # keep the latest verdict even when old: it is what still holds
                db.execute(
                    "DELETE FROM verdicts WHERE at < ? AND id < (SELECT max(id) FROM verdicts)",
                    (cut,),
                )
                db.execute("DELETE FROM availability WHERE hour < ?", (int(cut // 3600),))
                db.execute("DELETE FROM budget WHERE day < ?", (utc_day(cut),))
            self.trim()
        except (sqlite3.Error, OSError) as e:
            self._fail("pruning old rows", e)

    def size(self) -> int:
        """Bytes in use by the database's pages (free pages not counted)."""
        if self._conn is None:
            return 0
        c = self._conn
        pages = (
            c.execute("PRAGMA page_count").fetchone()[0]
            - c.execute("PRAGMA freelist_count").fetchone()[0]
        )
        return int(pages) * int(c.execute("PRAGMA page_size").fetchone()[0])

    def trim(self, force: bool = False) -> None:
        """Over 90% of max_bytes (or `force`): delete the oldest availability hours and verdict
        rows, a tenth at a time, until under 70%; incidents and notes go last of all."""
        if self._conn is None:
            return
        soft, target = self.max_bytes * 0.9, self.max_bytes * 0.7
        if not force and self.size() <= soft:
            return
        for _ in range(50):
            with self._write() as db:
                n_av = db.execute("SELECT count(*) FROM availability").fetchone()[0]
                n_v = db.execute("SELECT count(*) FROM verdicts").fetchone()[0]
                if n_av:
                    db.execute(
                        "DELETE FROM availability WHERE rowid IN (SELECT rowid FROM availability"
                        " ORDER BY hour LIMIT ?)",
                        (max(1, n_av // 10),),
                    )
                if n_v > 1:
                    db.execute(
                        "DELETE FROM verdicts WHERE id IN (SELECT id FROM verdicts ORDER BY id"
                        " LIMIT ?)",
                        (max(1, n_v // 10),),
                    )
                if not n_av and n_v <= 1:
                    old = db.execute(
                        "SELECT id FROM incidents WHERE closed = 1 ORDER BY start LIMIT 1"
                    ).fetchone()
                    if old is None:
                        break
                    for table in ("phases", "evidence", "notes"):
                        db.execute(f"DELETE FROM {table} WHERE incident_id = ?", (old[0],))
                    db.execute("DELETE FROM incidents WHERE id = ?", (old[0],))
            self._conn.execute("PRAGMA incremental_vacuum")
            if self.size() <= target:
                break


def _budget_row(db: sqlite3.Connection, day: str) -> tuple[int, int]:
    row = db.execute("SELECT used, reserved FROM budget WHERE day = ?", (day,)).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _worst(seen: dict[str, str], services: dict[str, str]) -> dict[str, str]:
    out = dict(seen)
    for service, st in services.items():
        if _WORSE.get(st, 0) > _WORSE.get(out.get(service, "ok"), 0):
            out[service] = st
    return out


def _peaks(peaks: dict[str, float], figures: dict[str, float]) -> dict[str, float]:
    out = dict(peaks)
    for k, v in figures.items():
        if k not in out or v > out[k]:
            out[k] = v
    return out


def _is_corruption(e: sqlite3.DatabaseError) -> bool:
    text = str(e).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


@dataclass
class JournalBudget:
    """The throughput `Budget` (agent/probes/throughput.py) kept in the journal, so the daemon
    and `check` share one day's bytes and a restart does not refill them."""

    journal: Journal
    daily: int
    clock: Callable[[], float] = time.time

    #: the day of the last reservation: a run that crosses midnight settles where it reserved
    _reserved_on: str = ""

    def _day(self) -> str:
        return utc_day(self.clock())

    def remaining(self) -> int:
        return max(0, self.daily - self.journal.spent(self._day()))

    def reserve(self, amount: int) -> bool:
        day = self._day()
        if not self.journal.reserve(day, amount, self.daily):
            return False
        self._reserved_on = day
        return True

    def settle(self, reserved: int, used: int) -> None:
        self.journal.settle(self._reserved_on or self._day(), reserved, used)


@contextmanager
def _opening(path: Path) -> Iterator[None]:
    """An exclusive lock (flock on a file beside the journal) while it is opened; without
    one (a read-only directory) the opening goes on unlocked, as before."""
    try:
        fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        yield
        return
    try:
        with suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Journal, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return wrapper


# every use of the shared connection, one thread at a time
for _name in (
    "close", "observe", "add_note", "reserve", "settle", "spent", "incidents", "incident",
    "timeline", "availability", "services", "notes", "counts_by_cause", "prune", "size", "trim",
):  # fmt: skip
    setattr(Journal, _name, _locked(getattr(Journal, _name)))

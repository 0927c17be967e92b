"""The incident journal against a real SQLite file: the incident rule, availability, the shared
budget across real processes, kill -9, corruption, an unwritable directory, retention and the
size bound (with times passed in), and the Seller API key never reaching the file."""

from __future__ import annotations

import calendar
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agent.journal import MERGE_GAP, Journal, JournalBudget, resolve_state_dir, utc_day
from tests.conftest import ROOT

T0 = 1_780_000_000.0 - 1_780_000_000.0 % 3600  # on an hour boundary: availability sums simply
ROUND = 30.0
CAB = "seller_cabinet"
API = "seller_api"


def _obs(j: Journal, at: float, cause: str, cab: str = "ok", **figures: float) -> None:
    reasons = (
        [] if cause == "ok" else [{"code": "http_status", "params": {"target": CAB, "status": 503}}]
    )
    j.observe(T0 + at, cause, reasons, {CAB: cab, API: "unknown"}, dict(figures))


def test_incidents_follow_the_merge_rule_phases_and_peaks(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    assert j.healthy and j.problem == ""
    for t in range(0, 120, 30):
        _obs(j, t, "ok")
    # an outage, a 60 s ok gap (under MERGE_GAP), the outage again, then it turns degraded
    for t in range(120, 270, 30):
        _obs(j, t, "platform_outage", "down", rtt_ms=40 + t / 10, loss_ratio=0.0)
    _obs(j, 270, "ok")
    _obs(j, 300, "ok")
    _obs(j, 330, "platform_outage", "down", rtt_ms=99.0)
    _obs(j, 360, "platform_degraded", "degraded", first_byte_ms=4200.0)
    for t in range(390, 900, 30):
        _obs(j, t, "ok")
    # dns, a short ok, then isp: a different cause after an ok stretch is a new incident
    _obs(j, 900, "dns", "ok")
    _obs(j, 930, "ok")
    _obs(j, 960, "isp", "unknown", loss_ratio=0.6)

    incidents = j.incidents(T0)
    assert [i.cause for i in incidents] == ["platform_outage", "dns", "isp"]
    first, dns, isp = incidents
    assert (first.start, first.end, first.ongoing) == (T0 + 120, T0 + 390, False)
    assert [(p.start - T0, p.cause) for p in first.phases] == [
        (120, "platform_outage"),
        (360, "platform_degraded"),
    ]
    assert first.services == {CAB: "down"}  # worst seen; unknown is not "affected"
    assert first.peaks == {"rtt_ms": 99.0, "loss_ratio": 0.0, "first_byte_ms": 4200.0}
    assert first.evidence[0].code == "http_status" and first.evidence[0].params["status"] == 503
    assert first.evidence[0].count == 7
    assert (dns.start, dns.end, dns.ongoing) == (T0 + 900, T0 + 930, False)
    assert isp.ongoing and isp.end is None and isp.services == {}
    assert j.counts_by_cause() == {"platform_outage": 1, "dns": 1, "isp": 1}
    assert j.incident(first.id) == first and j.incident(999) is None

    # the timeline holds changes only: ok, outage, ok, outage, degraded, ok, dns, ok, isp
    assert [v.cause for v in j.timeline(T0)] == [
        "ok", "platform_outage", "ok", "platform_outage", "platform_degraded", "ok", "dns",
        "ok", "isp",
    ]  # fmt: skip
    # a window starting mid-incident opens with the verdict that held then
    assert next(v.cause for v in j.timeline(T0 + 200)) == "platform_outage"

    # availability: observed from 0 to 930 (the round at 960 saw the cabinet unknown, so its
    # 30 s are not counted); down or degraded in the rounds 120..240, 330, 360: 7 x 30 s
    assert j.availability(CAB, T0) == pytest.approx((930 - 7 * 30) / 930)
    assert j.availability(API, T0) is None  # only ever unknown: not observed


def test_ok_held_for_merge_gap_closes_and_the_same_cause_opens_anew(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    _obs(j, 0, "dns")
    _obs(j, 30, "ok")
    _obs(j, 30 + MERGE_GAP, "ok")
    _obs(j, 60 + MERGE_GAP, "dns")
    got = j.incidents(T0)
    assert [(i.start - T0, i.end) for i in got] == [(0, T0 + 30), (60 + MERGE_GAP, None)]


def test_an_incident_left_open_by_a_long_stop_ends_where_it_was_last_seen(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    _obs(j, 0, "dns")
    _obs(j, 30, "dns")
    _obs(j, 30 + 2 * 3600, "dns")  # the agent was off for two hours
    old, new = j.incidents(T0)
    assert (old.start, old.end, old.ongoing) == (T0, T0 + 30, False)
    assert (new.start, new.end, new.ongoing) == (T0 + 30 + 7200, None, True)


def test_an_incident_is_named_after_the_cause_that_held_longest(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    _obs(j, 0, "network_degraded")  # a first round that saw only loss
    for t in range(30, 600, 30):
        _obs(j, t, "isp")
    _obs(j, 600, "ok")
    (inc,) = j.incidents(T0)
    assert (inc.cause, inc.causes) == ("isp", ["network_degraded", "isp"])
    assert j.counts_by_cause() == {"network_degraded": 1}  # counted by how it started


def test_availability_splits_rounds_at_hour_edges_and_skips_unobserved_gaps(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    _obs(j, 3600 - 10, "ok")
    _obs(j, 3600 + 20, "platform_outage", "down")  # 10 s in hour 0, 20 s in hour 1: down
    _obs(j, 3600 + 50, "ok")
    _obs(j, 3600 + 50 + 1000, "ok")  # agent was stopped: the gap is not observed
    assert j.availability(CAB, T0 + 3600) == pytest.approx(30 / 50)
    assert j.availability(CAB, T0, T0 + 3599) == pytest.approx(0.0)


def test_notes_attach_to_the_incident_of_their_time(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    _obs(j, 0, "platform_outage", "down")
    _obs(j, 30, "platform_outage", "down")
    nid = j.add_note("orders would not confirm", at=T0 + 20)
    lone = j.add_note("  printer   jammed ", at=T0 + 5 * 86400)
    assert nid > 0 and lone > nid
    inc = j.incidents(T0)[0]
    assert [n.text for n in inc.notes] == ["orders would not confirm"]
    assert [(n.text, n.incident_id) for n in j.notes(T0)] == [
        ("orders would not confirm", inc.id),
        ("printer jammed", None),
    ]


_SPENDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from agent.journal import Journal, JournalBudget
    j = Journal.open(Path(sys.argv[1]))
    b = JournalBudget(j, daily=int(sys.argv[2]))
    start = float(sys.argv[3])
    while time.time() < start:
        time.sleep(0.001)
    got = 0
    while b.reserve(7_000):
        b.settle(7_000, 6_000 + (got % 2) * 1_000)  # a run may use less than it reserved
        got += 1
        time.sleep(0.002)  # a real run takes a while: let the other process in
    print(got, j.healthy)
    """
)


def test_budget_holds_across_two_processes_and_a_restart(tmp_path: Path) -> None:
    daily = 1_000_000
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = str(time.time() + 1.5)  # both start spending at once
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _SPENDER, str(tmp_path), str(daily), start],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(o[1] == "True" for o in outs), outs
    runs = [int(o[0]) for o in outs]
    assert all(n > 5 for n in runs), f"the two did not overlap: {runs}"
    day = utc_day(time.time())
    j = Journal.open(tmp_path)  # the restart: a new process reads the same day
    spent = j.spent(day)
    assert spent <= daily
    assert spent == sum((n // 2) * 13_000 + (n % 2) * 6_000 for n in runs)
    b = JournalBudget(j, daily=daily)
    assert b.remaining() == daily - spent < 7_000
    assert not b.reserve(7_000)
    assert b.reserve(b.remaining()) or b.remaining() == 0


_OPENER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from agent.journal import Journal
    start = float(sys.argv[2])
    while time.time() < start:
        pass
    j = Journal.open(Path(sys.argv[1]))
    print(j.healthy, repr(j.problem))
    """
)


def test_processes_opening_a_new_journal_at_once_share_one_file(tmp_path: Path) -> None:
    # before: one of six processes opening a fresh journal at once now and then saw it
    # half-made (no version yet, tables already), moved it aside as corrupt and started its
    # own; another now and then failed with "database is locked" while switching to WAL. The
    # budget test above then saw two processes spend the day's budget twice (6 of 30 tries).
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for i in range(12):
        d = tmp_path / str(i)
        start = str(time.time() + 0.4)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _OPENER, str(d), start],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(6)
        ]
        outs = [p.communicate(timeout=60)[0].strip() for p in procs]
        assert outs == ["True ''"] * 6, f"try {i}: {outs}"
        assert not [f.name for f in d.iterdir() if "corrupt" in f.name], f"try {i}"


def test_kill_9_loses_at_most_the_last_round(tmp_path: Path) -> None:
    writer = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from agent.journal import Journal
        j = Journal.open(Path(sys.argv[1]))
        i = 0
        while True:
            cause = "ok" if i % 2 else "dns"
            j.observe(1e9 + i, cause, [{"code": "n", "params": {"i": i}}], {}, {}, manual=True)
            print(i, flush=True)
            i += 1
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen(
        [sys.executable, "-c", writer, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert p.stdout is not None
    last = -1
    for line in p.stdout:
        last = int(line)
        if last >= 150:
            break
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    j = Journal.open(tmp_path)
    assert j.healthy, j.problem
    rows = [int(v.reasons[0]["params"]["i"]) for v in j.timeline(0)]
    # every round reported committed is there, in order, plus at most the one in flight
    assert rows[: last + 1] == list(range(last + 1))
    assert len(rows) - (last + 1) <= 2  # the one being printed and the one after it


def test_odd_input_is_kept_or_refused_without_raising(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    j.observe(
        T0, "dns", [{"code": "x", "params": {"path": tmp_path}}], {}, {"rtt_ms": float("nan")}
    )
    (inc,) = j.incidents(T0)
    assert inc.evidence[0].params == {"path": str(tmp_path)} and inc.peaks == {}
    j.observe(T0 + 30, "dns", ["not a dict"], {}, {})  # type: ignore[list-item]
    assert j.healthy, j.problem
    assert len(j.incidents(T0)[0].evidence) == 1


def test_a_corrupt_file_is_moved_aside_and_a_new_journal_started(tmp_path: Path) -> None:
    garbage = b"this is not SQLite\x00" * 300
    (tmp_path / "journal.db").write_bytes(garbage)
    j = Journal.open(tmp_path)
    assert j.healthy
    assert "corrupt" in j.problem and "\n" not in j.problem
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("journal.db.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    _obs(j, 0, "dns")
    assert len(j.incidents(T0)) == 1


def test_a_file_corrupted_under_a_running_journal_turns_it_unhealthy(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    _obs(j, 0, "ok")
    j.close()
    j = Journal.open(tmp_path)
    with (tmp_path / "journal.db").open("r+b") as f:
        f.write(b"\xff" * 4096 * 3)  # header and the first pages
    for s in ("-wal", "-shm"):
        (tmp_path / f"journal.db{s}").unlink(missing_ok=True)
    _obs(j, 30, "dns")  # must not raise
    assert not j.healthy and "\n" not in j.problem and j.problem.startswith("journal off")
    _obs(j, 60, "dns")
    assert j.incidents(T0) == [] and j.add_note("x") == 0


def _unwritable_dirs(tmp_path: Path) -> list[Path]:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    dirs = [blocker / "state"]  # a file where a directory should be: cannot be created
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() == 0:
        # root writes through mode bits: only a read-only mount refuses it
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(ro)], check=False
        )
        if r.returncode == 0:
            dirs.append(ro)
    else:
        ro.chmod(0o500)
        dirs.append(ro)
    return dirs


@pytest.mark.parametrize("which", [0, 1])
def test_an_unwritable_directory_gives_an_unhealthy_journal_that_never_raises(
    tmp_path: Path, which: int
) -> None:
    dirs = _unwritable_dirs(tmp_path)
    try:
        if which >= len(dirs):
            pytest.skip("cannot make a read-only directory here")
        j = Journal.open(dirs[which])
        assert not j.healthy
        assert j.problem.startswith("journal off") and "\n" not in j.problem
        assert str(dirs[which]) in j.problem
        _obs(j, 0, "dns")
        assert j.add_note("x") == 0 and j.incidents(0) == [] and j.timeline(0) == []
        # the budget still holds within this process
        b = JournalBudget(j, daily=10_000)
        assert b.reserve(6_000) and not b.reserve(6_000)
        b.settle(6_000, 5_000)
        assert b.remaining() == 5_000
    finally:
        subprocess.run(["umount", str(tmp_path / "ro")], check=False, capture_output=True)


def test_an_off_journal_comes_back_when_its_directory_can_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("")  # a file where the directory should be
    j = Journal.open(blocker, clock=lambda: T0)
    assert not j.healthy
    assert j.reserve("2026-05-20", 700, 1000)
    j.settle("2026-05-20", 700, 600)
    blocker.unlink()
    _obs(j, 60, "dns")  # under RETRY_EVERY: still off
    assert not j.healthy
    _obs(j, 601, "dns")
    assert j.healthy, j.problem
    assert [i.start for i in j.incidents(T0)] == [T0 + 601]
    assert j.spent("2026-05-20") == 600  # what it spent while off is not forgotten


def test_retention_deletes_old_rows_but_not_the_counter(tmp_path: Path) -> None:
    now = [T0]
    j = Journal.open(tmp_path, retention_days=7, clock=lambda: now[0])
    _obs(j, 0, "ok")
    _obs(j, 30, "dns", "down")
    j.add_note("old note", at=T0 + 40)
    _obs(j, 60, "ok")
    _obs(j, 60 + MERGE_GAP, "ok")
    assert j.reserve(utc_day(T0), 100, 1000)
    later = 8 * 86400.0
    _obs(j, later, "isp")  # more than an hour later: retention runs inside this observe
    assert [i.cause for i in j.incidents(0)] == ["isp"]
    assert j.notes(0) == []
    assert j.availability(CAB, 0) is None
    assert [v.cause for v in j.timeline(0)] == ["ok", "isp"]  # ok was the latest: kept
    assert j.spent(utc_day(T0)) == 0
    assert j.counts_by_cause() == {"dns": 1, "isp": 1}
    db = sqlite3.connect(tmp_path / "journal.db")
    assert db.execute("SELECT count(*) FROM phases").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM evidence").fetchone()[0] == 1


def test_size_stays_bounded_and_the_newest_rows_stay(tmp_path: Path) -> None:
    max_bytes = 1_000_000
    j = Journal.open(tmp_path, max_bytes=max_bytes)
    big = "x" * 2000
    for i in range(3000):  # ~6 MB of verdict rows if nothing were deleted
        cause = "ok" if i % 2 else "dns"
        j.observe(
            T0 + i * 30, cause, [{"code": "c", "params": {"pad": big, "i": i}}], {CAB: "ok"}, {}
        )
        if i % 100 == 0:
            j.prune(T0 + i * 30)
    assert j.healthy, j.problem
    assert (tmp_path / "journal.db").stat().st_size <= max_bytes
    rows = j.timeline(0)
    assert rows[-1].reasons[0]["params"]["i"] == 2999
    assert rows[0].reasons[0]["params"]["i"] > 0  # the oldest went first


def test_migration_sets_the_schema_version_and_a_newer_file_is_refused(tmp_path: Path) -> None:
    Journal.open(tmp_path).close()
    db = sqlite3.connect(tmp_path / "journal.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute("PRAGMA user_version=99")
    db.close()
    j = Journal.open(tmp_path)
    assert not j.healthy and "newer" in j.problem
    assert (tmp_path / "journal.db").exists()  # a newer agent's file is left alone


def test_the_api_key_never_reaches_the_journal_file(tmp_path: Path) -> None:
    key = "0f5a8c3e-71d2-4b9a-9e3f-6c2d1b7a8e90"
    j = Journal.open(tmp_path, secrets=[key])
    reasons = [
        {
            "code": "seller_api_error",
            "params": {"status": 403, "message": "Api-Key [redacted] is not valid"},
        },
        # a message an upstream redaction missed: the journal scrubs it too
        {"code": "seller_api_error", "params": {"status": 403, "message": f"bad key {key}"}},
    ]
    j.observe(T0, "platform_degraded", reasons, {API: "down"}, {})
    j.add_note(f"support asked for the key {key}", at=T0 + 10)
    j.observe(T0 + 30, "platform_degraded", reasons, {API: "down"}, {}, manual=True)
    assert "[redacted]" in j.incidents(0)[0].notes[0].text
    raw = key.encode()
    files = list(tmp_path.glob("journal.db*"))
    assert any(f.name.endswith("-wal") for f in files)
    for f in files:
        assert raw not in f.read_bytes(), f.name


def test_state_dir_resolution_order(tmp_path: Path) -> None:
    env = {"STATE_DIRECTORY": "/run/sd/a:/run/sd/b", "XDG_STATE_HOME": "/x", "HOME": "/h"}
    assert resolve_state_dir("/flag", "/cfg", env, 0) == Path("/flag")
    assert resolve_state_dir(None, "/cfg", env, 0) == Path("/cfg")
    assert resolve_state_dir(None, None, env, 0) == Path("/run/sd/a")
    assert resolve_state_dir(None, None, {"XDG_STATE_HOME": "/x"}, 1000) == Path("/x/ozon-probe")
    assert resolve_state_dir(None, None, {"HOME": "/h"}, 1000) == Path("/h/.local/state/ozon-probe")
    root = resolve_state_dir(None, None, {"HOME": "/h"}, 0)
    writable = os.access(
        "/var/lib/ozon-probe" if Path("/var/lib/ozon-probe").is_dir() else "/var/lib", os.W_OK
    )
    assert root == (Path("/var/lib/ozon-probe") if writable else Path("/h/.local/state/ozon-probe"))


_ROUNDS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from agent.journal import Journal
    j = Journal.open(Path(sys.argv[1]))
    first, count, plan = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    i = first
    while count < 0 or i < first + count:
        cause = plan[min(i - first, len(plan) - 1)]
        reasons = [] if cause == "ok" else [
            {"code": "http_status", "params": {"target": "cabinet", "status": 502}}]
        state = "ok" if cause == "ok" else "down"
        j.observe(1e9 + 30 * i, cause, reasons, {"cabinet": state}, {"rtt_ms": 20.0 + i})
        print(i, flush=True)
        i += 1
    """
)


def test_an_incident_survives_kill_9_and_ends_after_the_restart(tmp_path: Path) -> None:
    """A writer sees ok, then an outage, and is killed -9 mid-incident; a second process (the
    restarted agent) sees the fault healed: the report shows one incident, start and end each
    within one round of the truth, with its evidence."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    plan = ["ok", "ok", "ok", "platform_outage"]  # the last repeats until the kill
    p = subprocess.Popen(
        [sys.executable, "-c", _ROUNDS, str(tmp_path), "0", "-1", *plan],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert p.stdout is not None
    last = -1
    for line in p.stdout:
        last = int(line)
        if last >= 12:
            break
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    healed_at = last + 3  # the restart takes a couple of rounds' time
    subprocess.run(
        [sys.executable, "-c", _ROUNDS, str(tmp_path), str(healed_at), "8", "ok"],
        check=True, capture_output=True, env=env, timeout=60,
    )  # fmt: skip
    r = subprocess.run(
        [sys.executable, "-m", "agent", "report", "--state-dir", str(tmp_path), "--since",
         "10000d", "--format", "json"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    incidents = json.loads(r.stdout)["incidents"]
    assert len(incidents) == 1, incidents
    inc = incidents[0]
    assert inc["cause"] == "platform_outage" and not inc["ongoing"]
    start = calendar.timegm(time.strptime(inc["start"]["utc"], "%Y-%m-%dT%H:%M:%SZ"))
    end = calendar.timegm(time.strptime(inc["end"]["utc"], "%Y-%m-%dT%H:%M:%SZ"))
    assert abs(start - (1e9 + 30 * 3)) <= 30
    assert abs(end - (1e9 + 30 * healed_at)) <= 30
    assert inc["evidence"][0]["params"] == {"target": "cabinet", "status": 502}
    assert inc["evidence"][0]["count"] >= last - 3  # every round before the kill is there
    assert inc["services"]["cabinet"]["state"] == "down"


def test_journal_budget_behaves_as_the_in_memory_budget(tmp_path: Path) -> None:
    """The same sequence tests/test_throughput.py runs against `Budget`, so the scheduler can
    take either; plus what only the journal can do: a second instance sees the first's spend."""
    now = [T0 + 3600.0]
    b = JournalBudget(Journal.open(tmp_path), 1000, clock=lambda: now[0])
    assert b.reserve(600) and not b.reserve(600)
    b.settle(600, 550)
    assert b.remaining() == 450
    assert not b.reserve(451) and b.reserve(450)
    other = JournalBudget(Journal.open(tmp_path), 1000, clock=lambda: now[0])
    assert other.remaining() == 0 and not other.reserve(1)
    b.settle(450, 450)
    assert b.remaining() == 0
    b.daily = 1200  # the scheduler sets the new daily figure on a config reload
    assert b.remaining() == 200
    assert b.reserve(200)
    now[0] += 86400  # the next UTC day: a run reserved yesterday settles on yesterday
    b.settle(200, 100)
    assert b.remaining() == 1200 and b.journal.spent(utc_day(T0 + 3600)) == 1100

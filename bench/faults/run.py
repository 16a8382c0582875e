"""Fault run: the production shape under load while Redis, PostgreSQL and a Celery
worker die, then an exact count of what was lost or duplicated.

    make faults        # = .venv/bin/python bench/faults/run.py

What it starts, all on 127.0.0.1 and all its own (nobody else's servers are ever restarted):
a PostgreSQL cluster and a redis-server (AOF, appendfsync always) in a temp dir
(bench/faults/services.py); gunicorn with 2 sync workers (bench/harness.py, alliance.settings.bench:
production middleware, plain HTTP); two Celery worker processes and one beat, as the Procfile
runs them; an aiosmtpd sink in this process (bench/faults/sink.py) that Django's SMTP backend
sends to. A load client (bench/faults/load.py) signs one petition at a steady rate as browsers
do and confirms each signature from the emailed link; clashing events are created through the
events service every few seconds so clash emails flow (bench/faults/scenario.py).

Faults, one after the other, each followed by an observation window:
1. Redis killed (SIGKILL) and started again (cache, rate limits, Celery broker);
2. PostgreSQL restarted (`pg_ctl restart -m fast`);
3. the SMTP sink made slow for clash emails, and the Celery worker that is in the middle of
   sending one killed (SIGKILL to its whole process group, as a dying machine or an OOM kill
   would), then started again;
4. the same for a petition confirmation email.
Celery processes that exit by themselves are restarted 2 s later, as the systemd units in
deploy/systemd do (Restart=always), and reported.

Then it stops the load, lets things settle (bounded), runs the reconcile task and the clash
sweep, and counts: signatures acknowledged but missing, duplicate signatures, clash emails
missing, clash emails duplicated, 500 responses, and seconds to recover after each fault.
Targets 0, 0, 0, 0, 0 and at most 10 s; the exit status is 1 if any is missed. Bounded: about
three minutes, never more than RUN_LIMIT_SECONDS. Everything it started is stopped and its temp
dir removed on exit, error or Ctrl-C.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.faults.load import Confirmers, HealthProbe, Recorder, Signers  # noqa: E402
from bench.faults.services import Services  # noqa: E402
from bench.faults.sink import SmtpSink  # noqa: E402
from bench.harness import Server, bench_env, prepare  # noqa: E402

RECOVERY_TARGET_SECONDS = 10
SIGN_RATE = float(os.environ.get("FAULTS_SIGN_RATE", "10"))  # signatures started per second
CLASH_INTERVAL = 2.0  # one new clashing pair of events every this many seconds
WARM_UP = 8  # seconds of load before the first fault
OBSERVE = 15  # seconds watched after each fault
REDIS_DOWN = 3  # seconds Redis stays dead
SLOW_SMTP_SECONDS = 4  # how long the sink sits on a message while a worker is to be killed
PG_RESTART_SMTP_DELAY = 2.5  # ... and on the clash email in flight while PostgreSQL restarts
SETTLE_SECONDS = 75  # at most this long for the queues to drain at the end
RUN_LIMIT_SECONDS = 295  # a watchdog ends the run (with cleanup) if it ever gets this far

# The worker's hard time limit and the outbox reclaim delay, shortened so that the clash email a
# killed worker was sending is re-sent within the run. The invariant events/detection.py relies
# on is kept (reclaim > hard time limit: a slow but live sender is always dead before its row
# can be taken over). Production keeps 300 s / 360 s; only the waiting is shorter here.
WORKER_TIME_LIMIT = 20
OUTBOX_RECLAIM_SECONDS = 25
VISIBILITY_TIMEOUT = 30  # an unacked task of a dead worker is redelivered after this

SIGNING = ("sign-get", "sign-post")


class OnCommitFailures(logging.Handler):
    """Counts "Error calling <callback> in on_commit()" log records by callback."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.counts: Counter = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        name = message.split("Error calling ", 1)[-1].split(" in on_commit", 1)[0]
        self.counts[name[:80]] += 1


class CeleryProcess:
    """`celery -A alliance worker|beat` in its own session (Ctrl-C reaches only the runner,
    which stops everything in order; a SIGKILL of the group kills the pool children too)."""

    def __init__(self, name: str, args: list[str], env: dict, logs: Path):
        self.name = name
        self.args = args
        self.killed_on_purpose = False
        self.log_path = logs / f"{name}-{time.time_ns()}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()/kill()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "alliance", *args],
            cwd=ROOT,
            env=bench_env(env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_for(self, marker: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.log_path.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
            time.sleep(0.1)
        raise TimeoutError(f"{self.name}: {marker!r} not seen in {timeout} s:\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def pids(self) -> set[int]:
        try:
            parent = psutil.Process(self.process.pid)
            return {parent.pid, *(child.pid for child in parent.children(recursive=True))}
        except psutil.NoSuchProcess:
            return set()

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        self.killed_on_purpose = True
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        self.killed_on_purpose = True
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=10)
        self._signal_group(signal.SIGKILL)  # pool children left behind, if any
        self.log.close()


def start_worker(n: int, env: dict, logs: Path) -> CeleryProcess:
    worker = CeleryProcess(
        f"worker{n}",
        [
            "worker", "--loglevel=INFO", "--concurrency=1", f"--hostname=worker{n}@faults",
            f"--time-limit={WORKER_TIME_LIMIT}", f"--soft-time-limit={WORKER_TIME_LIMIT - 5}",
            "--without-gossip", "--without-mingle",
        ],
        env,
        logs,
    )  # fmt: skip
    worker.wait_for("ready.")
    return worker


def wait_until(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def wait_healthy(url: str, timeout: float = 60) -> None:
    import requests

    body = ""

    def healthy() -> bool:
        nonlocal body
        try:
            response = requests.get(url + "/health/", timeout=5)
        except requests.RequestException as error:
            body = repr(error)
            return False
        body = response.text
        return response.status_code == 200

    if not wait_until(healthy, timeout, 0.5):
        raise TimeoutError(f"/health/ not 200 within {timeout} s: {body}")


def send_task(name: str) -> None:
    """Queue a task by name through the broker, as beat does (retrying while Redis is back)."""
    from alliance.celery import app

    for _ in range(10):
        try:
            app.send_task(name)
            return
        except Exception:  # noqa: BLE001 - the broker may still be reconnecting
            time.sleep(0.5)


class Supervisor:
    """Restarts a Celery process that exits by itself, 2 s later, as deploy/systemd's units do
    (Restart=always, RestartSec=2). Each such crash is recorded and reported: it is a finding,
    and under a Procfile runner that stops everything when one process exits it is an outage."""

    def __init__(self, run: Run):
        self.run = run
        self.crashes: list[str] = []
        self._stop = threading.Event()

    def check(self) -> None:
        run = self.run
        with run.processes_lock:
            for n, worker in enumerate(run.workers):
                if worker.process.poll() is not None and not worker.killed_on_purpose:
                    self._record(worker)
                    time.sleep(2)
                    run.workers[n] = start_worker(n, run.env, run.logs)
            if run.beat.process.poll() is not None and not run.beat.killed_on_purpose:
                self._record(run.beat)
                time.sleep(2)
                run.beat = start_beat(run.env, run.logs)

    def _record(self, process: CeleryProcess) -> None:
        log = process.log_path.read_text(errors="replace")
        reason = next(
            (line for line in log.splitlines() if "Unrecoverable error" in line),
            f"exit status {process.process.returncode}",
        )
        self.crashes.append(f"{process.name}: {reason[:300]}")
        print(f"  ! {process.name} exited by itself; restarting it in 2 s: {reason[:200]}")

    def loop(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self.check()
            except Exception as error:  # noqa: BLE001 - keep supervising
                self.crashes.append(f"supervisor could not restart a process: {error!r}")

    def start(self) -> None:
        self.thread = threading.Thread(target=self.loop, name="supervisor", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=90)


def start_beat(env: dict, logs: Path) -> CeleryProcess:
    beat = CeleryProcess(
        "beat",
        ["beat", "--loglevel=INFO", "--schedule", str(logs / "celerybeat-schedule")],
        env,
        logs,
    )
    beat.wait_for("beat: Starting")
    return beat


class Run:
    """One fault run. `main()` wires it up; the methods are its phases."""

    def __init__(self, stack: ExitStack):
        self.stack = stack
        self.faults: list[dict] = []
        self.notes: list[str] = []
        self.kills: list[dict] = []  # kind, what was in flight, when
        self.processes_lock = threading.Lock()  # the supervisor and the worker kill
        self.stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.kept_logs = ROOT / "bench" / "results" / f"faults-{self.stamp}-logs"

    def keep_logs(self) -> None:
        """Copy every process's log out of the temp dir before it is removed (at exit, after
        the processes have stopped, so shutdown errors are in them too)."""
        self.kept_logs.mkdir(parents=True, exist_ok=True)
        logs = [*self.services.root.glob("*.log")]
        server = getattr(self, "server", None)
        if server is not None and Path(server.log_path).exists():
            logs.append(Path(server.log_path))
        for path in logs:
            shutil.copy(path, self.kept_logs / path.name)
        if server is not None:
            Path(server.log_path).unlink(missing_ok=True)

    # --- set-up ---------------------------------------------------------------------------
    def start(self) -> None:
        self.services = self.stack.enter_context(Services())
        self.stack.callback(self.keep_logs)
        self.logs = self.services.root
        self.sink = SmtpSink().start()
        self.stack.callback(self.sink.stop)
        env = {
            **self.services.env(),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.sink.port),
            "CLASH_OUTBOX_RECLAIM_SECONDS": str(OUTBOX_RECLAIM_SECONDS),
            # Confirmation emails a killed sender had claimed are re-sent after this (petitions).
            "PETITIONS_CONFIRMATION_RECLAIM_SECONDS": str(OUTBOX_RECLAIM_SECONDS),
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "BENCH_RATE_LIMIT_MULTIPLIER": os.environ.get("BENCH_RATE_LIMIT_MULTIPLIER", "1000"),
            "CELERY_BEAT_SCHEDULE_FILE": str(self.logs / "celerybeat-schedule"),
        }
        self.server = Server(env, workers=2, prepare_first=False)
        env["SITE_URL"] = self.server.url  # emailed links point at this run's gunicorn
        self.env = env
        prepare(env)  # migrate the fresh database, collect static files if needed

        # This process uses Django too (seeding, the clash service, the final count), on the
        # private database and broker.
        os.environ.update(bench_env(env))
        import django

        django.setup()
        from bench.faults import scenario

        # An on_commit callback that could not queue its task (the broker was down) is logged
        # by Django, not raised: count those instead of printing their tracebacks.
        self.on_commit_failures = OnCommitFailures()
        logging.getLogger("django.db.backends.base").addHandler(self.on_commit_failures)
        logging.getLogger("django.db.backends.base").propagate = False

        self.data = scenario.seed()
        self.stack.enter_context(self.server)
        self.workers = [start_worker(n, env, self.logs) for n in range(2)]
        self.stack.callback(lambda: [w.stop() for w in self.workers])
        self.beat = start_beat(env, self.logs)
        self.stack.callback(lambda: self.beat.stop())
        self.supervisor = Supervisor(self)
        self.supervisor.start()
        self.stack.callback(self.supervisor.stop)
        # Beat's first heartbeat is a minute away: queue one now, as beat would.
        send_task("alliance.tasks.beat_heartbeat_task")
        wait_healthy(self.server.url)

    def start_load(self) -> None:
        from bench.faults.scenario import ClashMaker

        self.recorder = Recorder()
        self.probe = HealthProbe(self.server.url, self.recorder)
        self.signers = Signers(
            self.server.url, self.data.petition_slug, self.recorder, rate=SIGN_RATE
        )
        self.confirmers = Confirmers(self.sink, self.recorder)
        self.clashes = ClashMaker(self.data, interval=CLASH_INTERVAL)
        parts = (self.probe, self.signers, self.confirmers, self.clashes)
        for part in parts:
            part.start()
        # On error or Ctrl-C, the load stops first (before the servers it talks to go away).
        self.stack.callback(lambda: [part.abort() for part in parts])
        self.load_started = time.monotonic()

    # --- faults ---------------------------------------------------------------------------
    def _observe(self, name: str, started: float, back: float, **extra) -> dict:
        time.sleep(max(0.0, back + OBSERVE - time.monotonic()))
        end = time.monotonic()
        signing_back, signing_failures = self.recorder.recovered_at(
            started, end, SIGNING, ("sign-post",)
        )
        health_back, health_failures = self.recorder.recovered_at(
            started, end, ("health",), ("health",)
        )
        recoveries = [signing_back, health_back]
        recovery = (
            None if None in recoveries else max(0.0, max(recoveries) - back)  # type: ignore[type-var]
        )
        row = {
            "fault": name,
            "down_seconds": round(back - started, 1),
            "recovery_seconds": None if recovery is None else round(recovery, 1),
            "signing_failures": signing_failures,
            "signing_statuses": dict(self.recorder.statuses(started, end, ("sign-post",))),
            "health_statuses": dict(self.recorder.statuses(started, end, ("health",))),
            **extra,
        }
        self.faults.append(row)
        print(f"  {name}: {row}", flush=True)
        return row

    def fault_redis(self) -> None:
        started = time.monotonic()
        self.services.redis.kill()
        time.sleep(REDIS_DOWN)
        self.services.redis.start()
        self._observe_with_email("Redis killed and restarted", started, time.monotonic())

    def fault_postgres(self) -> None:
        """Restart PostgreSQL at the worst moment for the clash outbox: while a clash email is
        on the wire (the sink sits on it for a moment), so the worker gets its 250 from the SMTP
        server just after its database connection was terminated. A restart can land there by
        chance at any time in production; landing it there on purpose makes the run
        deterministic instead of flaky."""
        self.sink.slow_kind, self.sink.slow_seconds = "clash", PG_RESTART_SMTP_DELAY
        in_flight = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and in_flight is None:
            in_flight = self.sink.in_flight_of("clash")
            time.sleep(0.02)
        started = time.monotonic()
        self.services.postgres.restart()
        self.sink.slow_seconds = 0
        self._observe_with_email(
            "PostgreSQL restart (-m fast)",
            started,
            time.monotonic(),
            during_clash_send=None if in_flight is None else in_flight.clash_id,
        )

    def _observe_with_email(self, name: str, started: float, back: float, **extra) -> None:
        """Signing and /health/ working again, and confirmation emails flowing again."""
        flowed = self._confirmations_flow(back)
        row = self._observe(
            name,
            started,
            back,
            emails_flow_again_after=None if flowed is None else round(flowed - back, 1),
            **extra,
        )
        web = row["recovery_seconds"]
        email = row["emails_flow_again_after"]
        row["recovery_seconds"] = None if None in (web, email) else max(web, email)

    def _worker_sending(self, peer: tuple[str, int]) -> int | None:
        """Which of our workers owns the SMTP connection from `peer`."""
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and (conn.laddr.ip, conn.laddr.port) == tuple(peer[:2]) and conn.pid:
                for n, worker in enumerate(self.workers):
                    if conn.pid in worker.pids():
                        return n
        return None

    def fault_worker(self, kind: str) -> None:
        """Make the sink sit on `kind` emails ("clash" or "confirmation"), wait until one is
        in flight, SIGKILL the worker sending it (its whole process group), start it again."""
        self.sink.slow_kind, self.sink.slow_seconds = kind, SLOW_SMTP_SECONDS
        in_flight = victim = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and victim is None:
            in_flight = self.sink.in_flight_of(kind)
            if in_flight:
                victim = self._worker_sending(in_flight.peer)
            time.sleep(0.05)
        landed = victim is not None
        if not landed:
            self.notes.append(f"No {kind} email was in flight within 30 s: killed worker0.")
            victim = 0
        started = time.monotonic()
        with self.processes_lock:
            self.workers[victim].kill()
            self.sink.slow_seconds = 0
            self.kills.append({"kind": kind, "in_flight": in_flight, "killed_at": started})
            time.sleep(1)
            self.workers[victim] = start_worker(victim, self.env, self.logs)
        back = time.monotonic()
        flowed = (self._clash_flows if kind == "clash" else self._confirmations_flow)(back)
        row = self._observe(
            f"Celery worker SIGKILLed mid-send ({kind} email)",
            started,
            back,
            killed_mid_send=landed,
            in_flight_clash=in_flight.clash_id if in_flight else None,
            in_flight_recipients=in_flight.recipients if in_flight else [],
            emails_dropped_by_sink=self.sink.dropped,
            emails_flow_again_after=None if flowed is None else round(flowed - back, 1),
        )
        # For this fault "recovered" means queued emails flow again (the web never noticed).
        row["recovery_seconds"] = row["emails_flow_again_after"]

    def _clash_flows(self, back: float) -> float | None:
        """When a clash created now has reached every one of its recipients."""
        from bench.faults.scenario import clash_for

        pair = self.clashes.new_pair(manual=True)
        wait_until(lambda: self.clashes.complete(pair), 20, 0.5)
        expected = self.clashes.expected_recipients(pair)

        def delivered() -> float | None:
            clash = clash_for(pair) if len(pair.event_ids) == 2 else None
            if clash is None:
                return None
            times: dict[str, float] = {}
            for received in self.sink.snapshot():
                if received.clash_id == clash.pk:
                    for r in received.recipients:
                        times.setdefault(r, received.at)
            return max(times.values()) if expected <= set(times) else None

        wait_until(lambda: delivered() is not None, OBSERVE + 15, 0.3)
        return delivered()

    def _confirmations_flow(self, back: float) -> float | None:
        """When the first supporter who signed after `back` has their confirmation email."""

        def first() -> float | None:
            signed_after = {e for e, at in self.signers.acknowledged.copy().items() if at > back}
            return next(
                (
                    r.at
                    for r in self.sink.snapshot()
                    if r.kind == "confirmation" and signed_after & set(r.recipients)
                ),
                None,
            )

        wait_until(lambda: first() is not None, OBSERVE + 15, 0.3)
        return first()

    # --- the end --------------------------------------------------------------------------
    def settle(self) -> None:
        """Stop the load, then give the queues a bounded time to drain, running the same
        tasks beat runs (delivery, sweep, reconcile) more often than beat would."""
        from clashes.models import ClashNotification, NotificationStatus
        from petitions.models import Signature, SignatureStatus

        self.clashes.stop()
        self.signers.stop()
        self.load_seconds = time.monotonic() - self.load_started
        deadline = time.monotonic() + SETTLE_SECONDS
        send_task("events.clash_tasks.clashes_sweep_task")  # checks the broker refused
        last_kick = 0.0

        def drained() -> bool:
            nonlocal last_kick
            if time.monotonic() - last_kick > 10:
                last_kick = time.monotonic()
                send_task("petitions.tasks.signature_confirmations_send_task")
                send_task("events.clash_tasks.clash_notifications_deliver_task")
            acked = set(self.signers.acknowledged)
            confirmed = set(self.confirmers.confirmed)
            outbox_busy = ClashNotification.objects.filter(
                status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]
            ).exists()
            return acked <= confirmed and not outbox_busy

        self.drained = wait_until(drained, deadline - time.monotonic(), 1.0)
        self.settle_seconds = SETTLE_SECONDS - (deadline - time.monotonic())
        self.confirmers.stop()
        send_task("petitions.tasks.petitions_reconcile_task")
        petition_id = self.data.petition_id

        def reconciled() -> bool:
            from petitions.models import PetitionTally

            tally = PetitionTally.objects.filter(petition_id=petition_id).first()
            confirmed = Signature.objects.filter(
                petition_id=petition_id, status=SignatureStatus.CONFIRMED
            ).count()
            return tally is not None and tally.confirmed_count == confirmed

        wait_until(reconciled, 30, 0.5)
        self.probe.stop()

    def count(self) -> dict:
        from django.db.models import Count
        from django.db.models.functions import Lower

        from bench.faults.scenario import clash_for
        from clashes.models import Clash, ClashNotification
        from petitions.models import PetitionTally, Signature, SignatureStatus

        petition_id = self.data.petition_id
        acked = {email.lower() for email in self.signers.acknowledged}
        rows = Signature.objects.filter(petition_id=petition_id)
        by_email = dict(rows.annotate(e=Lower("email")).values_list("e", "status"))
        confirmed_rows = rows.filter(status=SignatureStatus.CONFIRMED).count()
        duplicates = (
            rows.annotate(e=Lower("email"))
            .values("e")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .count()
        )
        tally = PetitionTally.objects.filter(petition_id=petition_id).first()
        confirmation_emails = Counter(
            rcpt
            for r in self.sink.snapshot()
            if r.subject.startswith("Please confirm your signature")
            for rcpt in r.recipients
        )

        # Clashes: the pairs created, their clash rows, who must hear about each.
        pairs = [p for p in self.clashes.pairs if len(p.event_ids) == 2]
        expected: set[tuple[int, str]] = set()
        clashes_missing = 0
        for pair in pairs:
            clash = clash_for(pair)
            if clash is None:
                clashes_missing += 1
                continue
            expected |= {(clash.pk, r) for r in self.clashes.expected_recipients(pair)}
        ours = {clash_for(p).pk for p in pairs if clash_for(p)}
        unexpected_clashes = Clash.objects.exclude(pk__in=ours).count()
        clash_mail = [r for r in self.sink.snapshot() if r.clash_id is not None]
        delivered = Counter((r.clash_id, rcpt) for r in clash_mail for rcpt in r.recipients)
        by_message_id = Counter(r.message_id for r in clash_mail)
        outbox = Counter(ClashNotification.objects.values_list("status", flat=True))
        outbox_rows = ClashNotification.objects.count()

        counts = {
            "signatures_started": self.signers.started,
            "signatures_acknowledged": len(acked),
            "acknowledged_states": dict(self.signers.states),
            "signatures_gave_up": len(self.signers.gave_up),
            "signatures_refused_4xx": self.signers.refused[:20],
            "signature_rows": len(by_email),
            "signatures_acknowledged_but_missing": len(acked - set(by_email)),
            "duplicate_signatures": duplicates,
            "acknowledged_without_confirmation_email": len(acked - set(confirmation_emails)),
            "acknowledged_but_not_confirmed": len(acked - set(self.confirmers.confirmed)),
            "confirmation_emails_duplicated": sum(n - 1 for n in confirmation_emails.values()),
            "confirmation_emails_unreadable": len(self.confirmers.unreadable),
            # The evidence for a lost confirmation email: the row says it was sent (the sender
            # claimed it), the sink never accepted it, and nothing will ever send it again.
            "pending_marked_sent_never_mailed": len(
                {
                    e.lower()
                    for e in rows.filter(
                        status=SignatureStatus.PENDING, confirmation_sent_at__isnull=False
                    ).values_list("email", flat=True)
                }
                - set(confirmation_emails)
            ),
            "confirmed_rows": confirmed_rows,
            "shown_count_after_reconcile": tally.confirmed_count if tally else None,
            "clash_pairs_created": len(pairs),
            "after_commit_tasks_not_queued": dict(self.on_commit_failures.counts),
            "clashes_missing": clashes_missing,
            "unexpected_clashes": unexpected_clashes,
            "clash_outbox_rows": outbox_rows,
            "clash_outbox_statuses": dict(outbox),
            "clash_emails_expected": len(expected),
            "clash_emails_missing": len(expected - set(delivered)) + clashes_missing,
            "clash_emails_duplicated": sum(n - 1 for n in delivered.values() if n > 1),
            "clash_emails_duplicated_which": [
                f"clash {clash} to {rcpt} x{n}" for (clash, rcpt), n in delivered.items() if n > 1
            ][:5],
            "clash_emails_same_message_id": sum(n - 1 for n in by_message_id.values() if n > 1),
            "clash_emails_unexpected": len(set(delivered) - expected),
            "responses_500": len(self.recorder.errors_500),
            "responses_503_without_try_again_page": len(self.recorder.bad_503),
            "responses_503_try_again": sum(
                1 for o in self.recorder.outcomes if o.status == 503 and o.kind != "health"
            ),
            "requests": len(self.recorder.outcomes),
            "clash_service_errors": dict(self.clashes.errors),
            "celery_processes_crashed": self.supervisor.crashes,
        }
        for kill in self.kills:
            flight = kill["in_flight"]
            if flight is None:
                continue
            # When did the recipient of the killed message get it after all (None: never)?
            later = [
                r.at - kill["killed_at"]
                for r in self.sink.snapshot()
                if r.kind == kill["kind"]
                and r.at > kill["killed_at"]
                and {x.lower() for x in flight.recipients} & set(r.recipients)
                and (flight.clash_id is None or r.clash_id == flight.clash_id)
            ]
            counts[f"killed_{kill['kind']}_email_delivered_after_seconds"] = (
                round(min(later), 1) if later else None
            )
        return counts


def verdict(run: Run, counts: dict) -> list[str]:
    """Every missed target, in words (empty: all met)."""
    missed = []
    for key in (
        "signatures_acknowledged_but_missing",
        "duplicate_signatures",
        "clash_emails_missing",
        "clash_emails_duplicated",
        "responses_500",
        "responses_503_without_try_again_page",
        "acknowledged_but_not_confirmed",
        "clashes_missing",
        "unexpected_clashes",
        "clash_emails_unexpected",
    ):
        if counts[key]:
            missed.append(f"{key} = {counts[key]} (target 0)")
    if counts["shown_count_after_reconcile"] != counts["confirmed_rows"]:
        missed.append("shown count after reconcile differs from the confirmed rows")
    if counts["confirmed_rows"] != len(run.confirmers.confirmed):
        missed.append(
            f"confirmed rows {counts['confirmed_rows']} != confirmations acknowledged "
            f"{len(run.confirmers.confirmed)}"
        )
    for row in run.faults:
        seconds = row["recovery_seconds"]
        if seconds is None or seconds > RECOVERY_TARGET_SECONDS:
            missed.append(f"{row['fault']}: recovery {seconds} s (target <= 10)")
    for row in run.faults:
        if row.get("killed_mid_send") is False:
            missed.append(f"{row['fault']}: the kill did not land in the middle of a send")
    return missed


def report(run: Run, counts: dict, missed: list[str], seconds: float) -> None:
    print(f"\nFault run: {seconds:.0f} s, load {run.load_seconds:.0f} s at {SIGN_RATE:g} sign/s")
    print("\n| fault | down (s) | recovery (s) | sign POST statuses | /health/ statuses |")
    print("| --- | ---: | ---: | --- | --- |")
    for row in run.faults:
        print(
            f"| {row['fault']} | {row['down_seconds']} | {row['recovery_seconds']} | "
            f"{row['signing_statuses']} | {row['health_statuses']} |"
        )
    print()
    for key, value in counts.items():
        print(f"{key:45} {value}")
    for row in run.faults:
        if "in_flight_recipients" in row:
            print(
                f"{row['fault']}: in flight to {row['in_flight_recipients']} "
                f"(clash {row['in_flight_clash']}); sink dropped so far: "
                f"{row['emails_dropped_by_sink']}"
            )
    for note in run.notes:
        print("note:", note)
    for body in run.recorder.errors_500[:3]:
        print("\n500 response:\n" + body)
    for body in run.recorder.bad_503[:3]:
        print("\n503 without the try-again page:\n" + body)
    print("\nRESULT:", "PASS" if not missed else "FAIL")
    for line in missed:
        print("  missed:", line)


def main() -> int:
    # SIGTERM (and the watchdog) behave like Ctrl-C: unwind, so every `finally` cleans up.
    def interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)  # even when started with SIGINT ignored (nohup, &)
    watchdog = threading.Timer(RUN_LIMIT_SECONDS, lambda: os.kill(os.getpid(), signal.SIGTERM))
    watchdog.daemon = True
    watchdog.start()
    started = time.monotonic()
    with ExitStack() as stack:
        run = Run(stack)
        print("Starting private PostgreSQL, Redis, SMTP sink, gunicorn, 2 workers, beat...")
        run.start()
        print(f"Ready after {time.monotonic() - started:.0f} s; load and faults:", flush=True)
        run.start_load()
        time.sleep(WARM_UP)
        run.fault_redis()
        run.fault_postgres()
        run.fault_worker("clash")
        run.fault_worker("confirmation")
        time.sleep(5)
        print("Settling...", flush=True)
        run.settle()
        counts = run.count()
        missed = verdict(run, counts)
        if missed:
            for worker in run.workers:
                print(f"\n--- {worker.name} log (tail) ---\n{worker.tail(1500)}")
        elapsed = time.monotonic() - started
        report(run, counts, missed, elapsed)
        results = ROOT / "bench" / "results"
        results.mkdir(exist_ok=True)
        print(f"Logs kept in {run.kept_logs.relative_to(ROOT)}/")
        (results / f"faults-{run.stamp}.json").write_text(
            json.dumps({"faults": run.faults, "counts": counts, "missed": missed}, indent=2)
        )
    watchdog.cancel()
    return 1 if missed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nInterrupted: every process this run started is stopped, its temp dir removed.")
        sys.exit(130)

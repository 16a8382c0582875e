"""The load client of the fault run: signers and confirmers that behave like browsers, and a
/health/ probe. Everything they see is recorded with its time, so the runner can tell when each
fault started to hurt and when things worked again.

- A signer is one supporter: a fresh cookie jar, GET the petition page (CSRF cookie and token
  from the form), POST the form with a unique email. The signature is ACKNOWLEDGED when the
  POST answers with the redirect to the "signed" page. A 503 must be the "please try again"
  page; the supporter then does what the page says: tries again a second later (same email),
  up to RETRY_SECONDS. A 500 is never acceptable and is recorded with its body.
- A confirmer reads a confirmation email from the SMTP sink, opens the link (GET shows a button,
  as the petitions brief requires), and presses it (POST with the page's CSRF token).
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONFIRM_LINK_RE = re.compile(r"(https?://[^\s\"<>]+/petitions/s/[A-Za-z0-9_\-]+/confirm/)")
TRY_AGAIN_TEXT = "Please try again"
RETRY_SECONDS = 60  # a supporter who keeps pressing "try again" for a minute
TIMEOUT = 15


@dataclass
class Outcome:
    at: float  # time.monotonic() when the response (or error) came back
    kind: str  # "sign-get", "sign-post", "confirm-get", "confirm-post", "health"
    status: int | str  # HTTP status, or the exception's class name
    ok: bool


@dataclass
class Recorder:
    """Every request's outcome, 500 bodies, and 503s that were not the try-again page."""

    outcomes: list[Outcome] = field(default_factory=list)
    errors_500: list[str] = field(default_factory=list)
    bad_503: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, response: requests.Response | None, error=None, ok=False):
        status = response.status_code if response is not None else error.__class__.__name__
        with self.lock:
            self.outcomes.append(Outcome(time.monotonic(), kind, status, ok))
            if status == 500:
                self.errors_500.append(f"{kind} {response.url}: {response.text[:2000]}")
            if status == 503 and TRY_AGAIN_TEXT not in response.text and kind != "health":
                self.bad_503.append(f"{kind} {response.url}: {response.text[:500]}")

    def between(self, start: float, end: float, kinds: tuple[str, ...]) -> list[Outcome]:
        with self.lock:
            return [o for o in self.outcomes if start <= o.at <= end and o.kind in kinds]

    def statuses(self, start: float, end: float, kinds: tuple[str, ...]) -> Counter:
        return Counter(str(o.status) for o in self.between(start, end, kinds))

    def recovered_at(
        self, start: float, end: float, kinds: tuple[str, ...], success: tuple[str, ...]
    ) -> tuple[float | None, int]:
        """(when it worked again, failures seen) over [start, end]: the first success of a
        `success` kind after the last failure of any of `kinds`. Without failures: `start`.
        None if nothing succeeded after the last failure."""
        seen = sorted(self.between(start, end, kinds), key=lambda o: o.at)
        failures = [o.at for o in seen if not o.ok]
        if not failures:
            return start, 0
        last = failures[-1]
        back = next((o.at for o in seen if o.ok and o.kind in success and o.at >= last), None)
        return back, len(failures)


def _csrf_token(html: str) -> str | None:
    match = CSRF_RE.search(html)
    return match.group(1) if match else None


class Signers:
    """Signs the petition at a steady rate, one new supporter (and email) per signature."""

    def __init__(self, base_url: str, slug: str, recorder: Recorder, *, rate: float, threads=8):
        self.base_url = base_url
        self.slug = slug
        self.recorder = recorder
        self.rate = rate
        self.threads = threads
        self.acknowledged: dict[str, float] = {}  # email -> when the 302 came back
        self.states: Counter = Counter()  # the ?state= of acknowledgements
        self.gave_up: list[str] = []  # emails never acknowledged within RETRY_SECONDS
        self.refused: list[str] = []  # other 4xx: a bug in the client or the app
        self.started = 0
        self.lock = threading.Lock()
        self._stop = threading.Event()  # no new supporters
        self._abort = threading.Event()  # supporters stop retrying too (Ctrl-C, error)

    def email(self, index: int) -> str:
        return f"supporter{index}@faults.example.org"

    def _sign_once(self, session: requests.Session, index: int) -> str:
        """'ack', 'retry' or 'refused' (recorded either way)."""
        page_url = f"{self.base_url}/petitions/{self.slug}/"
        try:
            page = session.get(page_url, timeout=TIMEOUT)
        except requests.RequestException as error:
            self.recorder.record("sign-get", None, error)
            return "retry"
        token = _csrf_token(page.text) if page.status_code == 200 else None
        self.recorder.record("sign-get", page, ok=token is not None)
        if token is None:
            return "retry" if page.status_code in (500, 502, 503, 504) else "refused"
        data = {
            "csrfmiddlewaretoken": token,
            "name": f"Supporter {index}",
            "email": self.email(index),
            "postcode": "BS1 5TR",
            "town": "Bristol",
            "website": "",
        }
        try:
            response = session.post(
                f"{page_url}sign/",
                data=data,
                headers={"Referer": page_url},
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            self.recorder.record("sign-post", None, error)
            return "retry"
        location = response.headers.get("Location", "")
        acked = response.status_code == 302 and "/signed/" in location
        self.recorder.record("sign-post", response, ok=acked)
        if acked:
            with self.lock:
                self.acknowledged[self.email(index)] = time.monotonic()
                self.states[location.rpartition("state=")[2]] += 1
            return "ack"
        if response.status_code in (500, 502, 503, 504):
            return "retry"
        with self.lock:
            self.refused.append(f"{response.status_code} {self.email(index)}")
        return "refused"

    def _supporter(self, index: int) -> None:
        session = requests.Session()  # a browser: its own cookies
        deadline = time.monotonic() + RETRY_SECONDS
        try:
            while time.monotonic() < deadline and not self._abort.is_set():
                result = self._sign_once(session, index)
                if result != "retry":
                    return
                self._abort.wait(1.0)  # "try again in a few seconds"
            with self.lock:
                self.gave_up.append(self.email(index))
        finally:
            session.close()

    def run(self) -> None:
        """Start one supporter every 1/rate seconds until stopped (a pool bounds concurrency:
        during an outage supporters queue up like real ones waiting for the page)."""
        interval = 1.0 / self.rate
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            next_at = time.monotonic()
            index = 0
            while not self._stop.is_set():
                pool.submit(self._supporter, index)
                index += 1
                with self.lock:
                    self.started = index
                next_at += interval
                self._stop.wait(max(0.0, next_at - time.monotonic()))

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name="signers", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop starting new supporters; wait for those in progress (bounded by RETRY_SECONDS)."""
        self._stop.set()
        self.thread.join(timeout=RETRY_SECONDS + TIMEOUT * 2 + 10)

    def abort(self) -> None:
        """Stop at once: nobody retries any more (the run is being torn down)."""
        self._abort.set()
        self._stop.set()


class Confirmers:
    """Confirms every signature whose confirmation email reached the sink, as its signer would:
    GET the emailed link (a page with a button), then POST the button's form."""

    def __init__(self, sink, recorder: Recorder, *, threads: int = 4):
        self.sink = sink
        self.recorder = recorder
        self.threads = threads
        self.emails_seen: Counter = Counter()  # recipient -> confirmation emails received
        self.confirmed: dict[str, float] = {}  # email -> when the POST said "confirmed"
        self.gave_up: list[str] = []
        self.unreadable: list[str] = []  # confirmation emails without a usable link
        self.lock = threading.Lock()
        self._stop = threading.Event()

    def _confirm(self, email: str, link: str) -> None:
        session = requests.Session()
        deadline = time.monotonic() + RETRY_SECONDS
        try:
            while time.monotonic() < deadline and not self._stop.is_set():
                if self._confirm_once(session, link):
                    with self.lock:
                        self.confirmed[email] = time.monotonic()
                    return
                self._stop.wait(1.0)
            with self.lock:
                self.gave_up.append(email)
        finally:
            session.close()

    def _confirm_once(self, session: requests.Session, link: str) -> bool:
        try:
            page = session.get(link, timeout=TIMEOUT)
        except requests.RequestException as error:
            self.recorder.record("confirm-get", None, error)
            return False
        if page.status_code == 200 and "Your signature is confirmed" in page.text:
            self.recorder.record("confirm-get", page, ok=True)
            return True  # confirmed by an earlier POST whose answer we lost
        token = _csrf_token(page.text) if page.status_code == 200 else None
        self.recorder.record("confirm-get", page, ok=token is not None)
        if token is None:
            return False
        try:
            response = session.post(
                link,
                data={"csrfmiddlewaretoken": token},
                headers={"Referer": link},
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            self.recorder.record("confirm-post", None, error)
            return False
        done = response.status_code == 200 and "Your signature is confirmed" in response.text
        self.recorder.record("confirm-post", response, ok=done)
        return done

    def _links(self, received) -> tuple[list[str], str | None]:
        """(recipients, confirm link) of a confirmation email; ([], None) for other mail."""
        if not received.subject.startswith("Please confirm your signature"):
            return [], None
        body = received.message.get_body(preferencelist=("plain",))
        match = CONFIRM_LINK_RE.search(body.get_content() if body is not None else "")
        return received.recipients, match.group(1) if match else None

    def run(self) -> None:
        read = 0
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            while not self._stop.is_set():
                new = self.sink.since(read)
                read += len(new)
                for received in new:
                    try:
                        recipients, link = self._links(received)
                    except Exception as error:  # noqa: BLE001 - never let the reader die
                        self.unreadable.append(repr(error))
                        continue
                    for recipient in recipients:
                        with self.lock:
                            self.emails_seen[recipient] += 1
                            first = self.emails_seen[recipient] == 1
                        if link and first:  # a second email for the same person: no-op
                            pool.submit(self._confirm, recipient, link)
                        elif not link:
                            self.unreadable.append(f"no confirm link for {recipient}")
                time.sleep(0.1)

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name="confirmers", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=RETRY_SECONDS + TIMEOUT * 2 + 10)

    def abort(self) -> None:
        self._stop.set()


class HealthProbe:
    """GET /health/ every 200 ms; 200 means database, broker and beat are all fine."""

    def __init__(self, base_url: str, recorder: Recorder):
        self.base_url = base_url
        self.recorder = recorder
        self._stop = threading.Event()

    def run(self) -> None:
        session = requests.Session()
        while not self._stop.is_set():
            try:
                response = session.get(f"{self.base_url}/health/", timeout=TIMEOUT)
                self.recorder.record("health", response, ok=response.status_code == 200)
            except requests.RequestException as error:
                self.recorder.record("health", None, error)
            self._stop.wait(0.2)
        session.close()

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name="health", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=TIMEOUT + 5)

    def abort(self) -> None:
        self._stop.set()

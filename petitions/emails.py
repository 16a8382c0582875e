"""Email addresses as people: one normalised form per mailbox, and the disposable blocklist."""

from functools import cache
from pathlib import Path

# Providers where dots in the local part are ignored (all deliver to the same mailbox).
DOTS_IGNORED = {"gmail.com"}
# Domains that are the same mailbox as another domain.
DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
# Providers where "name+anything@" is delivered to "name@" (sub-addressing documented by the
# provider). Yahoo uses "-" for disposable addresses, which are separate mailboxes, so it is not
# here; neither are custom domains, where "+" may mean anything.
PLUS_TAGS_IGNORED = {
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "live.com",
    "live.co.uk",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "fastmail.com",
    "fastmail.fm",
    "protonmail.com",
    "protonmail.ch",
    "proton.me",
    "pm.me",
}
# Big free-mail providers: so many people share them that a per-domain rate limit would
# block real supporters, so they are only limited per IP.
SHARED_PROVIDERS = PLUS_TAGS_IGNORED | {
    "yahoo.com",
    "yahoo.co.uk",
    "aol.com",
    "btinternet.com",
    "sky.com",
    "virginmedia.com",
    "talktalk.net",
    "ntlworld.com",
    "gmx.com",
    "gmx.co.uk",
}

BLOCKLIST_PATH = Path(__file__).resolve().parent / "data" / "disposable_domains.txt"


def email_domain(email: str) -> str:
    domain = email.strip().rsplit("@", 1)[-1].lower()
    return DOMAIN_ALIASES.get(domain, domain)


def email_normalise(email: str) -> str:
    """'Jo.Bloggs+petition@GoogleMail.com' -> 'jobloggs@gmail.com'."""
    local, _, _ = email.strip().rpartition("@")
    local = local.lower()
    domain = email_domain(email)
    if domain in PLUS_TAGS_IGNORED:
        local = local.split("+", 1)[0]
    if domain in DOTS_IGNORED:
        local = local.replace(".", "")
    return f"{local}@{domain}"


@cache
def disposable_domains() -> frozenset[str]:
    lines = BLOCKLIST_PATH.read_text().splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def email_is_disposable(email: str) -> bool:
    domain = email_domain(email)
    parts = domain.split(".")
    # A subdomain of a blocked domain is blocked too (x.mailinator.com).
    return any(".".join(parts[i:]) in disposable_domains() for i in range(len(parts) - 1))

"""Email addresses as people: one normalised form per mailbox, and the disposable blocklist."""

from functools import cache
from pathlib import Path

# Providers where dots in the local part are ignored (all deliver to the same mailbox).
DOTS_IGNORED = {"gmail.com"}
# Domains that are the same mailbox as another domain.
DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
# Big free-mail providers: so many people share them that a per-domain rate limit would
# block real supporters, so they are only limited per IP.
SHARED_PROVIDERS = {
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
    """One person, one form: 'Jo.Bloggs+petition@GoogleMail.com' -> 'jobloggs@gmail.com'.

    The rule (docs/PETITIONS.md, "Who counts as one person"; the privacy notice says the same):
    - case is ignored, and googlemail.com is gmail.com;
    - a "+tag" is dropped for EVERY domain: "+" sub-addressing (RFC 5233) is what Gmail,
      Outlook, iCloud, Fastmail, Proton and the common mail servers (Postfix, Exim) deliver to
      the same mailbox, and a custom domain is no different, so "name+1@example.org" and
      "name+2@example.org" are one person;
    - dots are dropped only where the provider ignores them (Gmail).
    Two real people whose addresses differ only by a "+tag" would count as one: rare, and the
    price of one mailbox not signing many times.
    """
    local, _, _ = email.strip().rpartition("@")
    local = local.lower()
    local = local.split("+", 1)[0] or local  # "+x@" is a name, not a tag
    domain = email_domain(email)
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

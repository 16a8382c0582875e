"""Join codes: short enough to type from a projector, long enough not to be guessed.

8 characters from a 31-letter alphabet without look-alikes (no I, L, O, 0, 1): 31**8 ≈ 8.5e11
codes. Join attempts are rate-limited per address (views), and a code stops working when the
round closes or 12 hours after it opened, whichever comes first.
"""

import secrets
from datetime import timedelta

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
LIFETIME = timedelta(hours=12)


def code_generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def code_clean(typed: str) -> str:
    """What someone typed, as stored: capitals, without spaces or hyphens."""
    return "".join(typed.split()).replace("-", "").upper()[: LENGTH * 2]


def code_display(code: str) -> str:
    """ABCD-EFGH: easier to read from the back of a room."""
    return f"{code[:4]}-{code[4:]}" if len(code) == LENGTH else code

"""Email helpers shared by every app."""


def header_safe(value: object, limit: int = 200) -> str:
    """Text fit for an email header: user input can never add a line (no CR/LF header
    injection), whitespace runs become one space, and long text ends in an ellipsis."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

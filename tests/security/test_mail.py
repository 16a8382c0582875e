from alliance.mail import header_safe


def test_header_safe_removes_line_breaks_so_no_header_can_be_injected():
    assert header_safe("Ann\r\nBcc: victim@example.org") == "Ann Bcc: victim@example.org"
    assert "\n" not in header_safe("a\nb\rc\u2028d")


def test_header_safe_shortens_long_text_with_an_ellipsis():
    assert header_safe("x" * 300) == "x" * 199 + "…"
    assert header_safe("x" * 300, 10) == "x" * 9 + "…"
    assert header_safe("short") == "short"

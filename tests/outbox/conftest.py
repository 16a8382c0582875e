import pytest

TEXT = "Hello {{ name }},\n\n{{ note }}\nSee {{ link }} on {{ site_name }} ({{ site_url }}).\n"
HTML = (
    "<html><body><p>Hello {{ name }},</p><p>{{ note }}</p>"
    '<p><a href="{{ link }}">{{ site_name }}</a></p></body></html>'
)


@pytest.fixture
def email_template(settings, tmp_path):
    """A `testmail/hello` template pair in a template folder of its own (none in the repo)."""
    folder = tmp_path / "templates" / "testmail"
    folder.mkdir(parents=True)
    (folder / "hello.txt").write_text(TEXT)
    (folder / "hello.html").write_text(HTML)
    engines = [dict(engine) for engine in settings.TEMPLATES]
    engines[0]["DIRS"] = [tmp_path / "templates", *engines[0]["DIRS"]]
    settings.TEMPLATES = engines
    return "testmail/hello"

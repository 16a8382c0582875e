"""alliance/forms.py: a service's ValidationError lands on the form that called it."""

from django import forms
from django.core.exceptions import ValidationError

from alliance.forms import form_errors_add


class NameForm(forms.Form):
    name = forms.CharField()


def test_field_errors_go_on_their_field_and_the_rest_on_top():
    form = NameForm({"name": "Pat"})
    assert form.is_valid()
    form_errors_add(form, ValidationError({"name": "Taken.", "seat": "Not a seat."}))
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Not a seat."]


def test_an_error_without_fields_goes_on_top():
    form = NameForm({"name": "Pat"})
    assert form.is_valid()
    form_errors_add(form, ValidationError("Registration is closed."))
    assert form.non_field_errors() == ["Registration is closed."]
    assert "name" not in form.errors

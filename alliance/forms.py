"""What every app's forms share: a service's errors on the form, and no "---------"."""

from django import forms
from django.core.exceptions import ValidationError

DASHES = "---------"


def form_errors_add(form, error: ValidationError) -> None:
    """A service's ValidationError on the form that called it: each error on its field when
    the form has that field, otherwise (and for an error without fields) at the top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def blank_choices_labelled(form: forms.BaseForm) -> None:
    """Give the blank choice of each select a real label: "Choose one" where an answer is
    required, "None" where it may be left out (Django's default is a row of dashes)."""
    for field in form.fields.values():
        label = "Choose one" if field.required else "None"
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label == DASHES:
                field.empty_label = label
        elif isinstance(field, forms.ChoiceField):
            choices = list(field.choices)
            if choices and choices[0][0] in ("", None) and str(choices[0][1]) == DASHES:
                field.choices = [("", label), *choices[1:]]


class LabelledChoicesMixin:
    """Mix into a Form or ModelForm (first in the bases) to label its blank choices."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        blank_choices_labelled(self)

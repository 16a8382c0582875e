"""What every form of the site shares: a select never offers "---------"."""

from django import forms

DASHES = "---------"


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

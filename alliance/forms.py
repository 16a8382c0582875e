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


# --- Searchable pickers -----------------------------------------------------------------
# static/js/searchable-select.js turns every <select data-searchable> into a type-to-search box
# (Tom Select, static/vendor/tom-select/). Without JS it stays the plain <select>.


def searchable(attrs: dict | None = None, placeholder: str = "Type to search") -> dict:
    """The attributes that mark a <select> for the type-to-search enhancement."""
    return {"data-searchable": "", "data-placeholder": placeholder, **(attrs or {})}


class SearchableSelect(forms.Select):
    """A long single choice (a constituency, a group): type part of its name to find it."""

    placeholder = "Type to search"

    def __init__(self, attrs=None, choices=()):
        super().__init__(searchable(attrs, self.placeholder), choices)


class SearchableSelectMultiple(forms.SelectMultiple):
    """A long multiple choice: each pick becomes a removable tag; typing finds the next."""

    placeholder = "Type to add"

    def __init__(self, attrs=None, choices=()):
        super().__init__(searchable(attrs, self.placeholder), choices)


# --- Sections of a long form ------------------------------------------------------------


class FieldsetsMixin:
    """A long form in titled sections: `fieldsets = [("When", ["starts_at", ...]), ...]`.

    templates/_partials/form.html draws each section as a <fieldset> with its <legend>
    (fields a form removed are left out, an empty section is not drawn) and then any visible
    field in no section (one added on the fly, such as "publish anyway")."""

    fieldsets: list[tuple[str, list[str]]] = []

    def sections(self) -> list[tuple[str, list]]:
        drawn = []
        for legend, names in self.fieldsets:
            fields = [self[name] for name in names if name in self.fields]
            fields = [field for field in fields if not field.is_hidden]
            if fields:
                drawn.append((legend, fields))
        return drawn

    def fields_outside_sections(self) -> list:
        named = {name for _, names in self.fieldsets for name in names}
        return [field for field in self.visible_fields() if field.name not in named]

"""What every app's views share about forms."""

from django.core.exceptions import ValidationError


def form_errors_add(form, error: ValidationError) -> None:
    """A service's ValidationError on the form that called it: each error on its field when
    the form has that field, otherwise (and for an error without fields) at the top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)

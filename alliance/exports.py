"""CSV exports: one place that decides what a downloaded spreadsheet cell may contain."""

import csv

from django.http import HttpResponse

# A spreadsheet treats a cell starting with one of these as a formula (=HYPERLINK(...), +cmd|...,
# a tab or carriage return before one). Numbers such as -3 or +1.5 are left as numbers.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_cell(value: object) -> str:
    """A cell as text that no spreadsheet will run: formula-like text gets a leading quote."""
    text = "" if value is None else str(value)
    if text[:1] in _FORMULA_STARTS and not _is_number(text):
        return "'" + text
    return text


def csv_response(filename: str) -> tuple[HttpResponse, "csv._writer"]:
    """An attachment response and a writer whose rows go through `csv_cell`."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, _SafeWriter(csv.writer(response))


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row) -> None:
        self._writer.writerow([csv_cell(value) for value in row])

"""Lists and reports as Excel (xlsx, openpyxl) and CSV, the way a city's offices
pass a 台账 around. A cell that a spreadsheet would run as a formula (it begins
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written as text
with a leading apostrophe: an export is data, never a program."""
import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.console.view import Download

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value):
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def as_csv(headers, rows):
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 with a byte order mark as UTF-8 (Chinese intact)
    writer = csv.writer(out)
    writer.writerow([safe(h) for h in headers])
    for row in rows:
        writer.writerow([safe(v) for v in row])
    return out.getvalue().encode("utf-8")


def as_xlsx(title, headers, rows):
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([safe(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) for h in headers]
    for row in rows:
        values = [safe(v) for v in row]
        sheet.append(values)
        widths = [max(w, min(len(str(v)), 60)) for w, v in zip(widths, values)]
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width * 1.6 + 2
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def download(name, title, headers, rows, fmt):
    """The rows as a file to save, ``name``.xlsx or ``name``.csv."""
    if fmt == "xlsx":
        return Download(as_xlsx(title, headers, rows), f"{name}.xlsx", XLSX)
    return Download(as_csv(headers, rows), f"{name}.csv", CSV)

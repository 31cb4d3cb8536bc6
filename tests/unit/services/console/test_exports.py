"""Exports are data, never a program, and keep Chinese (services/console/exports.py)."""
import io

from openpyxl import load_workbook

from services.console import exports


def test_exports_never_carry_a_formula_and_keep_chinese():
    rows = [["=HYPERLINK(\"http://x\")", "市水务管理局", 3, None], ["+1", "-2", "@SUM(A1)", 0.5]]
    text = exports.as_csv(["a", "b", "c", "d"], rows).decode("utf-8")
    assert text.startswith("\ufeff") and "市水务管理局" in text
    assert "'=HYPERLINK" in text and "'+1" in text and "'-2" in text and "'@SUM" in text
    sheet = load_workbook(io.BytesIO(exports.as_xlsx("cases", ["a", "b", "c", "d"], rows))).active
    assert sheet["A2"].value == "'=HYPERLINK(\"http://x\")" and sheet["A2"].data_type == "s"
    assert sheet["C2"].value == 3 and sheet["B2"].value == "市水务管理局"

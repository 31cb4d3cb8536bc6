"""Files people bring: UTF-8, or GB18030 where Chinese spreadsheets saved them."""
import subprocess
import sys

import pytest

from services.intake.domain.knowledge import load_file
from shared.platform.textfiles import NotText, read_text

CSV = "id,question,answer,keywords\nKB-1,公积金怎么提取？,凭身份证到中心办理。,公积金;提取\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_the_knowledge_import_reads_what_the_history_import_reads(tmp_path, encoding):
    path = tmp_path / "kb.csv"
    path.write_bytes(CSV.encode(encoding))
    [entry] = load_file(path)
    assert entry["question"] == "公积金怎么提取？" and "\ufffd" not in entry["answer"]


def test_an_explicit_encoding_is_used_and_a_wrong_one_is_an_error(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_bytes(CSV.encode("gb18030"))
    assert "公积金" in read_text(path, "gb18030")
    with pytest.raises(NotText, match="gb18030"):
        read_text(path, "utf-8")
    with pytest.raises(NotText, match="unknown encoding"):
        read_text(path, "latin-9")


def test_the_cli_refuses_a_file_in_the_wrong_encoding_without_calling_intake(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_bytes(CSV.encode("gb18030"))
    run = subprocess.run([sys.executable, "-m", "hotline.cli", "knowledge", "import", str(path),
                          "--encoding", "utf-8"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "--encoding gb18030" in run.stderr

"""``python -m services.routing evaluate`` and friends on files: no running services needed."""
import csv
import json

from click.testing import CliRunner

from services.routing.commands import main
from services.routing.learning.synthetic import generate
from tests.typed_orders import typed_orders


def history_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["标题", "内容", "承办单位"])
        for text, code in rows:
            writer.writerow([text[:8], text[8:], code])
    return path


def test_evaluate_prints_the_figures_and_ends_with_one_json_line(tmp_path):
    rows = generate(8, seed=4) + [("只有一条的部门", "RARE")]
    path = history_csv(tmp_path / "h.csv", rows)
    result = CliRunner().invoke(main, ["evaluate", "--history", str(path), "--text-col", "标题,内容",
                                       "--label-col", "承办单位", "--folds", "3", "--json"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert set(figures["coverage_at_precision"]) == {"0.9", "0.95", "0.98"}
    assert 0 < figures["accuracy"] <= 1 and 0 < figures["macro_f1"] <= 1
    assert any("RARE (1)" in note for note in figures["notes"])
    assert any(line.startswith("accuracy") for line in lines)
    assert any("set threshold to" in line for line in lines)
    assert any(line.startswith("HRSS") for line in lines)  # per-department precision and recall


def test_evaluate_names_the_columns_a_file_has(tmp_path):
    path = history_csv(tmp_path / "h.csv", generate(3, seed=4))
    result = CliRunner().invoke(main, ["evaluate", "--history", str(path), "--text-col", "text",
                                       "--label-col", "承办单位"])
    assert result.exit_code == 2
    assert "no column text; it has: 标题, 内容, 承办单位" in result.stderr


def test_synth_history_writes_json_lines(tmp_path):
    path = tmp_path / "h.jsonl"
    result = CliRunner().invoke(main, ["synth-history", str(path), "--per-department", "2"])
    assert result.exit_code == 0
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"text", "department"}


def test_evaluate_types_measures_the_rules_against_the_learned_type_on_a_file(tmp_path):
    words = {"complaint": "投诉", "help": "求助", "consultation": "咨询", "suggestion": "建议", "report": "举报",
             "praise": "表扬"}
    path = tmp_path / "typed.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["标题", "内容", "诉求类型"])
        writer.writerows([title, description, words[kind]] for title, description, kind in typed_orders(150, seed=5))
        writer.writerow(["路灯不亮", "请维修", "不知道"])  # no request type: skipped, and said
        writer.writerow(["", "", "投诉"])  # no text
    result = CliRunner().invoke(main, ["evaluate-types", "--history", str(path), "--text-col", "标题",
                                       "--text-col", "内容", "--type-col", "诉求类型", "--json"])
    assert result.exit_code == 0, result.output
    assert "150 of 152 rows used (skipped: 1 no request type, 1 no text)" in result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["examples"] == 150 and figures["cv_accuracy"] > figures["rules_accuracy"]
    assert any(line.startswith("complaint") for line in result.stdout.splitlines())


def test_a_file_that_is_not_text_is_refused_with_its_reason_not_a_traceback(tmp_path):
    for name in ("history.csv", "history.jsonl"):
        path = tmp_path / name
        path.write_bytes(b"\xff\xfe\x00\xac\x80" * 200)
        for args in (["evaluate", "--label-col", "t"], ["evaluate-types", "--type-col", "t"]):
            result = CliRunner().invoke(main, [*args, "--history", str(path)])
            assert result.exit_code == 2, (name, args, result.output, result.exception)
            assert "is not text in UTF-8 or GB18030" in result.stderr

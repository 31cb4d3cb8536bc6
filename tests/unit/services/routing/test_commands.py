"""``python -m services.routing evaluate`` and friends on files: no running services needed."""
import csv
import json

from click.testing import CliRunner

from services.routing.commands import main
from services.routing.learning.synthetic import generate


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

"""The reply quality gate: what it flags, and what it lets through."""
import pytest

from services.followup.domain.quality import check_reply, overlap

WATER = {"title": "小区停水两天了", "description": "崂山区海尔路小区从前天开始停水，没有任何通知。"}
VENDORS = {"title": "Street vendors blocking the sidewalk",
           "description": "Vendors set up every evening on the sidewalk near Zhanqiao pier."}


def codes(text, ticket=WATER):
    return {f["code"] for f in check_reply(text, ticket)}


def test_a_specific_dated_on_topic_reply_passes():
    assert codes("经查，海尔路小区停水系主管道破裂，维修人员已于11月24日下午修复，当晚恢复供水，并补贴停水通知。") == set()
    assert codes("Officers removed the vendors from the sidewalk near Zhanqiao pier on 3 March "
                 "and will patrol there every evening.", VENDORS) == set()


@pytest.mark.parametrize("text", ["已处理", "已转相关部门。", "noted", "Resolved, thank you."])
def test_boilerplate_is_flagged(text):
    assert {"boilerplate", "too_short"} <= codes(text)


def test_empty_reply():
    assert codes("   ") == {"empty"}


def test_long_boilerplate_is_still_boilerplate():
    text = "您好，您反映的问题已转交相关部门，相关部门高度重视，已按程序处理，感谢您的来电。"
    assert "boilerplate" in codes(text)
    assert "too_short" not in codes(text)


def test_off_topic_reply_is_flagged_by_bigrams():
    text = "我局已对辖区内的餐饮油烟问题开展专项检查，共检查商户二十家，责令整改三家。"
    assert "off_topic" in codes(text)
    assert overlap("海尔路小区供水已恢复", WATER["title"] + WATER["description"])


def test_undated_promises_are_flagged_and_dated_ones_are_not():
    assert "undated_promise" in codes("海尔路小区停水问题我们会尽快处理，请耐心等待维修人员上门。")
    assert "undated_promise" not in codes("海尔路小区停水问题我们会尽快处理，预计3个工作日内恢复供水。")
    assert "undated_promise" in codes("We will fix the sidewalk vendors problem near Zhanqiao pier soon.", VENDORS)
    assert "undated_promise" not in codes(
        "We will clear the vendors near Zhanqiao pier by Friday evening.", VENDORS)


def test_without_the_ticket_the_overlap_is_not_checked_and_says_so():
    assert "overlap_not_checked" in codes("海尔路小区11月24日恢复供水，主管道已修复完毕。", None)


# -- the replies of a public message board (问政平台) ------------------------------

BOARD = {"title": "咨询F2区社区基层干部的基本保障问题", "description": "社区干部的工资和养老保险由谁负责？"}


@pytest.mark.parametrize("text", [
    "您的留言已收悉。关于您反映的问题，已转F2区调查处理。",
    "“UU0081869”您好！帖文中反映的问题已转交有关单位调查核实。感谢你的留言！2019年4月16日",
    "网友：您好！留言已收悉",
    "网友“UU0081524”您好！您反映的问题相关部门已经答复。链接：https://baidu.com/",
])
def test_a_forward_or_receipt_that_answers_nothing_is_boilerplate(text):
    assert "boilerplate" in codes(text, BOARD)


def test_a_board_reply_with_substance_passes_despite_its_courtesies():
    text = ("网友“UU0081135”您好！您的留言已收悉。现将有关情况回复如下：F2区社区干部的工资由区财政按月发放，"
            "养老保险由街道统一缴纳，2019年起每人每月补贴300元。感谢您的留言。")
    assert codes(text, BOARD) == set()


def test_a_link_does_not_swallow_the_text_after_it():
    text = ("网友您好！详见https://baidu.com/，社区干部的工资由区财政按月发放，养老保险由街道统一缴纳，"
            "每人每月补贴300元。")
    assert "boilerplate" not in codes(text, BOARD)


def test_the_report_counts_verdicts_and_gives_examples_of_each():
    from services.followup.domain.quality_report import gate_report

    rows = [(BOARD["title"], BOARD["description"], "网友：您好！留言已收悉"),
            (BOARD["title"], BOARD["description"],
             "经核实，F2区社区干部的工资由区财政按月发放，养老保险由街道统一缴纳。")] * 3
    report = gate_report(rows, examples=2)
    assert report["replies"] == 6 and report["flagged"] == 3 and report["share_flagged"] == 0.5
    assert report["verdicts"]["passed"] == 3 and report["verdicts"]["boilerplate"] == 3
    assert len(report["examples"]["passed"]) == 2
    assert all("经核实" in item["reply"] for item in report["examples"]["passed"])

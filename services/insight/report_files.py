"""The monthly assessment as the files a city passes around (考核通报): xlsx and PDF.

The xlsx (openpyxl) has the table per group, each rate's figures, what was
excluded, the month's proactive cases (主动治理: unit and outcome) and how the scores
are made. The PDF (matplotlib's PDF backend, the
charts' own library) has the same tables and, per group, the chart of the
adjusted scores with their intervals beside the raw ones. Chinese text needs a
CJK font on the machine: ``fonts-wqy-microhei`` (Debian), else any Noto/Source
Han Sans CJK found; without one the PDF still renders, its Chinese as boxes.
"""
import io
import logging

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from openpyxl.styles import Alignment, Font, PatternFill  # noqa: E402

log = logging.getLogger(__name__)

CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "pdf": "application/pdf"}
CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                "WenQuanYi Zen Hei")
RATE_NAMES = {"response": "响应率", "solved": "解决率", "satisfied": "满意率", "on_time": "按时办结率",
              "returned": "打回率", "refused": "回退率", "reopened": "重办率", "held": "办结未反弹率"}
GROUP_NAMES = {"city_bureaus": "市直部门", "districts": "区（市）", "utilities": "公共服务企业",
               "other": "其他单位"}
VERDICTS = {"above": "高于全市（差异显著）", "below": "低于全市（差异显著）", "as_city": "与全市无显著差异"}
RATE_VERDICTS = {"better": "优于全市", "worse": "差于全市", "as_city": "无显著差异"}
NOT_RANKED = "案件过少，不排名"
STAGES = {"closed": "已办结（审核通过）", "closed_unreasonable": "已办结（不合理诉求）", "replied": "已回复，待审核",
          "signed_for": "办理中", "assigned": "待签收"}
PROACTIVE_HEADER = ["工单号", "承办单位", "单位代码", "类别", "区域", "标题", "办理结果", "超时", "退回次数"]


def group_name(group):
    return GROUP_NAMES.get(group, group)


def _units(report):
    for group in report["groups"]:
        for unit in group["units"]:
            yield group, unit


def _name(report, code):
    return (report.get("names") or {}).get(code) or code


def _fmt(value, digits=1):
    return "—" if value is None else f"{value:.{digits}f}"


def _interval(pair):
    return "—" if not pair else f"{pair[0]:.1f}–{pair[1]:.1f}"


def _pct(value):
    return "—" if value is None else f"{100 * value:.1f}%"


def summary_rows(report):
    """One row per unit, as both files show it."""
    rows = []
    for group, unit in _units(report):
        previous = unit.get("previous") or {}
        rows.append([
            group_name(group["group"]), _name(report, unit["unit"]), unit["unit"], unit["n_cases"],
            unit["raw_score"], unit["raw_rank"] or NOT_RANKED, unit["adjusted_score"],
            _interval(unit["adjusted_interval"]), unit["rank"] or NOT_RANKED,
            VERDICTS[unit["verdict"]], previous.get("adjusted_score"), previous.get("rank"),
            unit.get("change")])
    return rows


def proactive_rows(report):
    """The month's proactive cases (主动治理, 未诉先办): one row each, as both files show them."""
    return [[c["number"], _name(report, c["unit"]), c["unit"], c.get("category") or "", c.get("district") or "",
             c.get("title") or "", STAGES.get(c["stage"], c["stage"]), "是" if c.get("late") else "否",
             c.get("rejections") or 0] for c in report.get("proactive") or ()]


SUMMARY_HEADER = ["分组", "单位", "代码", "考核件数", "原始得分", "原始排名", "调整得分", "95%区间",
                  "排名", "与全市比较", "上月调整得分", "上月排名", "环比"]


# -- xlsx ----------------------------------------------------------------------

def xlsx(report):
    """The report as an Excel workbook (bytes)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "考核排名"
    sheet.append([f"12345热线 {report['month']} 月度考核通报"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"考核件数 {report['cases']}；不合理诉求剔除 {len(report['excluded']['unreasonable'])} 件；"
                  f"申诉成立剔除 {len(report['excluded']['appeals_accepted'])} 项；"
                  f"少于 {report['min_cases']} 件的单位不排名；{held_line(report)}"])
    sheet.append(SUMMARY_HEADER)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in summary_rows(report):
        sheet.append(row)
    for column, width in zip("ABCDEFGHIJKLM", (12, 24, 18, 9, 9, 16, 9, 13, 16, 20, 12, 9, 8), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A4"

    rates = book.create_sheet("分项指标")
    rates.append(["单位", "代码", "指标", "计入件数", "发生件数", "原始率", "全市率", "期望件数",
                  "O/E", "O/E 95%区间", "调整率", "比较"])
    for cell in rates[1]:
        cell.font = Font(bold=True)
    for _, unit in _units(report):
        for rate, f in unit["rates"].items():
            low, high = f["ratio_interval"]
            label = RATE_NAMES[rate] + (f"（{report['held_cohort']['month']} 办结批次）"
                                        if rate == "held" and report.get("held_cohort") else "")
            rates.append([_name(report, unit["unit"]), unit["unit"], label, f["n"], f["events"],
                          f["raw"], f["city"], f["expected"], f["ratio"],
                          f"{low:.2f}–{'∞' if high is None else f'{high:.2f}'}", f["adjusted"],
                          RATE_VERDICTS[f["verdict"]]])

    excluded = book.create_sheet("剔除")
    excluded.append(["类别", "工单号", "单位", "申诉事项", "所涉指标"])
    for row in report["excluded"]["unreasonable"]:
        excluded.append(["不合理诉求", row["number"], row["unit"], "", ""])
    for row in report["excluded"]["appeals_accepted"]:
        excluded.append(["申诉成立", row["number"], row["unit"], row["scored"],
                         RATE_NAMES.get(row["rate"] or "", "")])

    proactive = book.create_sheet("主动治理")
    proactive.append([f"未诉先办：本月主动治理工单 {len(report.get('proactive') or ())} 件"])
    proactive.append(PROACTIVE_HEADER)
    for cell in proactive[2]:
        cell.font = Font(bold=True)
    for row in proactive_rows(report):
        proactive.append(row)
    for column, width in zip("ABCDEFGHI", (20, 24, 16, 14, 10, 48, 18, 6, 8), strict=True):
        proactive.column_dimensions[column].width = width

    notes = book.create_sheet("说明")
    for line in method_lines(report):
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    for row in notes.iter_rows():
        row[0].alignment = Alignment(wrap_text=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def held_line(report):
    """Which closures the held rate judged (防反弹): the cohort month, named."""
    cohort = report.get("held_cohort")
    if not cohort:
        return "办结未反弹率：本报告未计。"
    return (f"办结未反弹率按滞后批次计：{cohort['month']} 月办结的案件（结果为 {'、'.join(cohort['outcomes'])}），"
            f"办结后 {cohort['window_days']} 天内无反弹为未反弹；至报告日反弹观察期均已届满者 "
            f"{cohort['judged']} 件计入，观察期未满者 {cohort['not_judged']} 件不计。")


def method_lines(report):
    weights = "，".join(f"{RATE_NAMES[r]} {w:g}" for r, w in report["weights"].items() if w)
    return [
        f"权重：{weights}（打回率、回退率、重办率越低越好，按 1−率 计分）。得分 = 100 × Σ权重×指标 / Σ权重。"
        "回退率 = 单位退回（退单）的案件 / 派给该单位的案件；打回率 = 答复被中心打回的案件 / 答复件数。",
        held_line(report),
        "调整得分（间接标化）：按诉求类型×类别×区域分层，期望件数 = 本单位各案件所在层的全市水平之和；"
        "调整率 = 观察/期望 × 全市率。区间为观察件数的精确二项区间（Clopper-Pearson）按 n/期望 换算，"
        f"置信水平 {report['confidence']:.0%}；得分区间取各指标区间端点（保守）。",
        "区间不含全市水平的差异为显著差异，其余视为随机波动。排名按调整得分，原始排名仅供对照；"
        f"考核件数少于 {report['min_cases']} 件的单位不排名。",
        "剔除：不合理诉求（经审核认定）不计入该单位任何指标；申诉成立的事项不计入其所涉指标。",
    ]


# -- PDF ---------------------------------------------------------------------------

def cjk_font():
    """A font with Chinese glyphs installed here, or None."""
    for family in CJK_FAMILIES:
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        return font_manager.FontProperties(fname=path)
    log.warning("no CJK font found (install fonts-wqy-microhei): the PDF's Chinese shows as boxes")
    return None


A4 = (8.27, 11.69)


def pdf(report):
    """The report as a PDF (bytes): the tables, a chart per group, the exclusions and the method."""
    font = cjk_font()
    kw = {"fontproperties": font} if font else {}
    out = io.BytesIO()
    with PdfPages(out, metadata={"Title": f"12345 assessment {report['month']}", "Creator": "hotline insight"}) as doc:
        _summary_page(doc, report, kw)
        for group in report["groups"]:
            _chart_page(doc, report, group, kw)
        _proactive_page(doc, report, kw)
        _notes_page(doc, report, kw)
    return out.getvalue()


def _proactive_page(doc, report, kw):
    """The month's proactive cases (主动治理): unit and outcome, up to a page (all in the xlsx)."""
    rows = proactive_rows(report)
    fig = plt.figure(figsize=A4)
    fig.text(0.06, 0.95, f"未诉先办：本月主动治理工单 {len(rows)} 件", size=14, weight="bold", **kw)
    if rows:
        shown = [[r[0], r[1][:14], r[5][:26], r[6], r[7]] for r in rows[:40]]
        height = 0.021 * (len(shown) + 1)
        ax = fig.add_axes((0.04, 0.92 - height, 0.92, height))
        ax.axis("off")
        table = ax.table(cellText=shown, colLabels=["工单号", "承办单位", "标题", "办理结果", "超时"],
                         loc="upper center", cellLoc="left", colWidths=[0.2, 0.2, 0.36, 0.17, 0.07])
        table.auto_set_font_size(False)
        table.set_fontsize(7)
        for (row, _), cell in table.get_celld().items():
            if kw:
                cell.get_text().set_fontproperties(kw["fontproperties"])
                cell.get_text().set_fontsize(7)
            if row == 0:
                cell.set_facecolor("#dbe8f6")
        if len(rows) > len(shown):
            fig.text(0.06, 0.9 - height - 0.02, f"…… 共 {len(rows)} 件，详见 xlsx", size=8, **kw)
    else:
        fig.text(0.06, 0.9, "本月没有主动治理工单。", size=10, **kw)
    doc.savefig(fig)
    plt.close(fig)


def _summary_page(doc, report, kw):
    fig = plt.figure(figsize=A4)
    fig.text(0.5, 0.95, f"12345热线 {report['month']} 月度考核通报", ha="center", size=17, weight="bold", **kw)
    fig.text(0.5, 0.925, f"考核件数 {report['cases']}；不合理诉求剔除 {len(report['excluded']['unreasonable'])} 件；"
             f"申诉成立剔除 {len(report['excluded']['appeals_accepted'])} 项", ha="center", size=9, **kw)
    cohort = report.get("held_cohort")
    if cohort:
        fig.text(0.5, 0.91, f"办结未反弹率：{cohort['month']} 月办结批次（{cohort['window_days']} 天观察期已满 "
                 f"{cohort['judged']} 件）", ha="center", size=9, **kw)
    header = ["单位", "件数", "原始得分", "原始排名", "调整得分", "95%区间", "排名", "与全市比较", "环比"]
    top = 0.88
    for group in report["groups"]:
        rows = []
        for unit in group["units"]:
            rows.append([_name(report, unit["unit"])[:14], str(unit["n_cases"]), _fmt(unit["raw_score"]),
                         str(unit["raw_rank"] or "—"), _fmt(unit["adjusted_score"]),
                         _interval(unit["adjusted_interval"]), str(unit["rank"] or "不排名"),
                         VERDICTS[unit["verdict"]].replace("（差异显著）", "*"),
                         "—" if unit.get("change") is None else f"{unit['change']:+.1f}"])
        height = 0.022 * (len(rows) + 1)
        if top - height - 0.05 < 0.04:  # the next group on a page of its own
            doc.savefig(fig)
            plt.close(fig)
            fig = plt.figure(figsize=A4)
            top = 0.95
        fig.text(0.06, top, group_name(group["group"]), size=12, weight="bold", **kw)
        ax = fig.add_axes((0.04, top - 0.012 - height, 0.92, height))
        ax.axis("off")
        table = ax.table(cellText=rows, colLabels=header, loc="upper center", cellLoc="center",
                         colWidths=[0.24, 0.06, 0.08, 0.08, 0.08, 0.12, 0.07, 0.17, 0.07])
        table.auto_set_font_size(False)
        table.set_fontsize(7.5)
        for (row, _), cell in table.get_celld().items():
            if kw:
                cell.get_text().set_fontproperties(kw["fontproperties"])
                cell.get_text().set_fontsize(7.5)
            if row == 0:
                cell.set_facecolor("#dbe8f6")
        top -= height + 0.05
    fig.text(0.06, 0.02, "* 调整得分的区间不含全市水平：差异显著。排名按调整得分；件数少于 "
             f"{report['min_cases']} 件不排名。", size=8, **kw)
    doc.savefig(fig)
    plt.close(fig)


def _chart_page(doc, report, group, kw):
    units = list(reversed(group["units"]))
    fig, ax = plt.subplots(figsize=(A4[0], max(3.0, 0.45 * len(units) + 2.0)))
    labels = [_name(report, u["unit"])[:12] + ("" if u["rank"] else "（不排名）") for u in units]
    ys = range(len(units))
    adjusted = [u["adjusted_score"] or 0 for u in units]
    low = [max(a - (u["adjusted_interval"] or [a, a])[0], 0) for a, u in zip(adjusted, units, strict=True)]
    high = [max((u["adjusted_interval"] or [a, a])[1] - a, 0) for a, u in zip(adjusted, units, strict=True)]
    colours = ["#c0392b" if u["verdict"] == "below" else "#27ae60" if u["verdict"] == "above" else "#5b8cc0"
               for u in units]
    ax.barh(ys, adjusted, xerr=[low, high], color=colours, alpha=0.85, capsize=3, label="调整得分及95%区间")
    ax.scatter([u["raw_score"] or 0 for u in units], ys, marker="D", color="black", zorder=3, s=18,
               label="原始得分")
    cities = [u["city_score"] for u in units if u.get("city_score") is not None]
    if cities:
        ax.axvline(sum(cities) / len(cities), color="grey", linestyle="--", linewidth=1, label="全市水平")
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels, **kw)
    ax.set_xlim(max(0, min([*adjusted, *(u["raw_score"] or 100 for u in units)]) - 15), 100)
    ax.set_title(f"{group_name(group['group'])}：调整得分（红：显著低于全市，绿：显著高于）", **kw)
    ax.set_xlabel("得分", **kw)
    ax.legend(loc="lower right", prop=kw.get("fontproperties"), fontsize=8)
    fig.tight_layout()
    doc.savefig(fig)
    plt.close(fig)


def _wrap(line, width):
    """Lines of about ``width`` characters (Chinese has no spaces), never inside a number or word."""
    lines, start = [], 0
    while len(line) - start > width:
        end = start + width
        while end < len(line) and (line[end].isascii() and (line[end].isalnum() or line[end] in ".-%")):
            end += 1
        lines.append(line[start:end])
        start = end
    return [*lines, line[start:]]


def _notes_page(doc, report, kw):
    fig = plt.figure(figsize=A4)
    fig.text(0.06, 0.95, "剔除与方法说明", size=14, weight="bold", **kw)
    y = 0.91
    for line in method_lines(report):
        for chunk in _wrap(line, 46):
            fig.text(0.06, y, chunk, size=9, **kw)
            y -= 0.02
        y -= 0.01
    y -= 0.01
    fig.text(0.06, y, "不合理诉求（不计入考核）", size=11, weight="bold", **kw)
    y -= 0.022
    listed = [f"{r['number']}  {_name(report, r['unit'])}" for r in report["excluded"]["unreasonable"]]
    listed += ["申诉成立：" + f"{r['number']}  {_name(report, r['unit'])}  {RATE_NAMES.get(r['rate'] or '', r['scored'])}"
               for r in report["excluded"]["appeals_accepted"]]
    for line in listed[:60]:
        fig.text(0.08, y, line, size=8, **kw)
        y -= 0.013
        if y < 0.04:
            break
    if len(listed) > 60:
        fig.text(0.08, max(y, 0.02), f"…… 共 {len(listed)} 项，详见 xlsx", size=8, **kw)
    doc.savefig(fig)
    plt.close(fig)

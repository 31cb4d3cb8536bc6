"""The reply quality gate: what a reviewer should look at before approving.

``check_reply(text, ticket)`` returns findings, each
``{"code", "message"}``; an empty list means nothing looked wrong. The
reviewer decides -- the gate only points:

* ``empty`` / ``too_short``: no reply, or shorter than ``MIN_SIZE``
  (Chinese characters; a word of other scripts counts two);
* ``boilerplate``: stock phrases ("已处理", "已转相关部门", "留言已收悉",
  "noted") and almost nothing else -- the addressee, dates, phone numbers
  and links are no substance either, so "您的留言已收悉。已转F2区调查处理。"
  (a forward that answers nothing) is flagged like "已处理";
* ``off_topic``: no overlap with what the citizen asked about -- Chinese
  compared by character bigrams, other scripts by words;
* ``undated_promise``: a promise ("会尽快处理", "will fix soon") with no date
  or time limit anywhere in the reply;
* ``overlap_not_checked``: the ticket's text was not available (intake down).
"""
import re
from typing import Any

Finding = dict[str, str]  # {"code", "message"}

MIN_SIZE = 15  # Chinese characters, or about 8 words
MIN_SPECIFIC_CHARS = 8

BOILERPLATE = (
    "已转交相关部门", "已转相关部门", "已转有关部门", "已按程序处理", "已按规定处理", "已处理完毕",
    "已妥善处理", "已处理", "已解决", "已收悉", "已知悉", "已落实", "已反馈", "已答复", "已督促",
    "已协调", "正在处理中", "正在处理", "处理中", "情况属实", "感谢您的来电", "感谢您的监督",
    "感谢您的反映", "感谢反映", "谢谢", "您好", "市民您好", "来电人", "您反映的问题", "您反映的情况",
    "反映的问题", "相关部门", "相关工作", "进一步加强", "加强管理", "高度重视",
    "forwarded to the relevant department", "passed to the relevant department",
    "has been handled", "has been dealt with", "has been resolved", "being processed",
    "in progress", "thank you", "thanks", "noted", "resolved", "handled", "done", "closed",
    "dear citizen", "your request", "the issue", "the problem", "has been", "we have",
    # the receipts, forwards and courtesies of a public message board's replies
    "留言已收悉", "来信收悉", "来信已收悉", "已经收悉", "收悉", "现回复如下", "现答复如下", "回复如下", "答复如下",
    "现将有关情况", "有关情况", "感谢您的留言", "感谢你的留言", "感谢您的问政", "谢谢您的来信", "谢谢你的来信",
    "谢谢您的关注", "感谢您的关注", "感谢您对", "的关注与支持", "祝你生活愉快", "祝您生活愉快", "特此回复",
    "请您耐心等待", "请耐心等待", "耐心等待", "已转交", "已转至", "已转", "转交", "调查处理", "调查核处", "调查处置",
    "核查办复", "核查、办复", "核实办理", "核实、办理", "调查核实", "有关单位", "相关单位", "有关部门", "作出回复",
    "已经答复", "网友", "网民", "你好", "尊敬的", "您的留言", "你的留言", "留言", "关于您反映的问题", "关于",
    "您反映的", "你反映的", "帖文中反映的问题", "反映的", "问题", "情况", "如有相关情况将及时反馈",
)
# who the reply is addressed to ("UU0081255"), dates and phone numbers: no substance either
ADDRESS_AND_NUMBERS = re.compile(
    r"[“\"]?uu\d+[”\"]?|\d{2,4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号]?|\d[\d\-－()（）]{6,}\d|https?://[a-z0-9./?=&%_~#:-]+")
PROMISES = re.compile(
    r"会尽快|将尽快|尽快(处理|解决|修复|安排|落实)|近期(将|会)?(处理|解决|安排)|择期|后续(将|会)|"
    r"下一步(将|会)|待.{0,6}后(处理|解决)|will (be )?(fix|fixed|repair|repaired|handle|handled|"
    r"resolve|resolved|look into|address|addressed|follow up)|as soon as possible|\bsoon\b|"
    r"\bshortly\b|in due course|in the near future", re.IGNORECASE)
DATES = re.compile(
    r"\d{1,4}\s*[年月]\s*\d{0,2}|\d{1,2}\s*[日号]|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}|"
    r"\d+\s*(个)?(工作日|天|日内|小时|周|星期)|[一二三四五六七八九十两]+\s*(个)?(工作日|天|小时|周)|"
    r"今天|今日|明天|明日|后天|本周|下周|周[一二三四五六日天]|星期[一二三四五六日天]|月底|月初|年底|"
    r"\b(today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b|"
    r"\bwithin \d+\s*(hours?|days?|weeks?)\b|\bby (the )?end of\b|\bnext week\b",
    re.IGNORECASE)
CJK = re.compile(r"[\u3400-\u9fff]+")
WORD = re.compile(r"[a-z0-9]+")
NOISE = re.compile(r"[\s\W_]+")
STOP_WORDS = {"the", "and", "for", "are", "was", "has", "have", "been", "with", "that", "this",
              "from", "there", "their", "our", "your", "you", "not", "but", "all", "any", "can",
              "will", "would", "should", "please", "thank", "thanks", "day", "days", "every"}
STOP_BIGRAMS = {"您好", "我们", "你们", "相关", "部门", "问题", "情况", "已经", "进行", "工作", "反映",
                "处理", "感谢", "谢谢", "来电", "市民", "没有", "一个", "目前", "现在", "已处"}


def finding(code: str, message: str) -> Finding:
    return {"code": code, "message": message}


def size(text: str) -> int:
    """How much a reply says: Chinese characters count one each, other words two."""
    cjk = sum(len(run) for run in CJK.findall(text))
    return cjk + 2 * len(WORD.findall(text.lower()))


def strip_boilerplate(text: str) -> str:
    """The text with stock phrases, punctuation and spaces taken out."""
    rest = ADDRESS_AND_NUMBERS.sub(" ", text.lower())
    for phrase in sorted(BOILERPLATE, key=len, reverse=True):
        rest = rest.replace(phrase, " ")
    return NOISE.sub("", rest)


def terms(text: str | None) -> set[str]:
    """Chinese character bigrams (and single characters of one-character runs), and words."""
    text = (text or "").lower()
    found: set[str] = set()
    for run in CJK.findall(text):
        found.update(run[i:i + 2] for i in range(len(run) - 1))
    found.update(w for w in WORD.findall(text) if len(w) >= 3 and w not in STOP_WORDS)
    return found - STOP_BIGRAMS


def overlap(reply: str, ticket_text: str) -> list[str]:
    """The terms the reply shares with what the citizen asked about."""
    return sorted(terms(reply) & terms(ticket_text))


def check_reply(text: str | None, ticket: dict[str, Any] | None = None) -> list[Finding]:
    """Findings about a reply; ``ticket`` has the citizen's ``title`` and ``description``."""
    text = (text or "").strip()
    if not text:
        return [finding("empty", "the reply is empty")]
    findings = []
    if size(text) < MIN_SIZE:
        findings.append(finding("too_short", f"the reply is very short ({len(text)} characters)"))
    if len(strip_boilerplate(text)) < MIN_SPECIFIC_CHARS:
        findings.append(finding(
            "boilerplate", "stock phrases with no specifics: say what was done, where and when"))
    if ticket is None:
        findings.append(finding(
            "overlap_not_checked", "the ticket's text was not available; compare it by hand"))
    else:
        asked = f"{ticket.get('title') or ''} {ticket.get('description') or ''}"
        if terms(asked) and not overlap(text, asked):
            findings.append(finding(
                "off_topic", "the reply shares no words with what the citizen asked about"))
    if PROMISES.search(text) and not DATES.search(text):
        findings.append(finding(
            "undated_promise", "promises action without a date or time limit"))
    return findings

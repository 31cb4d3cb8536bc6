"""What notify says, in Chinese (``zh``) and English (``en``).

Each template is a subject and a body formatted with ``str.format`` from a
context: ``number``, ``title`` (the request's title, long numbers masked),
``department`` (its name), ``deadline`` and ``sign_for_deadline`` (local time
in the city), ``level`` (the supervision level's name), ``reason``, ``reply``,
``outcome``, ``decision`` (an extension granted or denied), ``new_department``
(where a case moved), ``count`` (rejections so far), ``recheck_on`` (a hold's
recheck day), ``version`` (a knowledge entry's), ``hotline`` (the city's).
Every message to a department names the ticket number and title in its
subject. SMS uses the body alone. An unknown language falls back to Chinese.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "receipt": {
        "zh": ("【{hotline}】工单受理回执 {number}",
               "您反映的问题已受理，工单号 {number}，已转{department}办理，"
               "办理时限至 {deadline}。查询码 {lookup_code}，查询请提供工单号和查询码。"),
        "en": ("[{hotline}] Your request {number} was received",
               "Your request was received as ticket {number} and passed to {department}, "
               "who must reply by {deadline}. Your lookup code is {lookup_code}: quote it with "
               "the ticket number."),
    },
    "reply": {
        "zh": ("【{hotline}】工单 {number} 办理结果",
               "您反映的问题（工单号 {number}）{department}已办理，答复如下：{reply}"
               " 我们将回访您的满意度。"),
        "en": ("[{hotline}] The answer to your request {number}",
               "{department} answered your request {number}: {reply}"
               " We will call you to ask whether you are satisfied."),
    },
    "rating_link": {  # the citizen's own rating (一事一评): a one-use link, no sign-in
        "zh": ("【{hotline}】请评价工单 {number} 的办理结果",
               "【{hotline}】您反映的问题（工单 {number}）已答复。请点击链接评价办理结果：{link}"
               " （仅可使用一次，{expires}前有效）"),
        "en": ("[{hotline}] Rate the answer to your request {number}",
               "[{hotline}] Your request {number} was answered. Tell us how it went: {link}"
               " (one use, until {expires})"),
    },
    "callback": {
        "zh": ("【{hotline}】工单 {number} 回访结果：{title}",
               "工单 {number}（{title}）已回访市民：{outcome}。请{department}知悉。"),
        "en": ("[{hotline}] Callback on ticket {number}: {title}",
               "The citizen of ticket {number} ({title}) was called back: {outcome}. For {department}."),
    },
    "new_case": {
        "zh": ("【新工单】{number} {title}",
               "{department}：工单 {number}（{title}）已派至你单位办理，请于 {sign_for_deadline} 前签收，"
               "{deadline} 前答复市民。"),
        "en": ("[New case] {number} {title}",
               "{department}: ticket {number} ({title}) was dispatched to you. Sign for it by "
               "{sign_for_deadline} and reply by {deadline}."),
    },
    "case_moved": {
        "zh": ("【工单改派】{number} {title}",
               "{department}：工单 {number}（{title}）已改派至{new_department}，你单位无需继续办理。"),
        "en": ("[Case moved] {number} {title}",
               "{department}: ticket {number} ({title}) now goes to {new_department}; "
               "you need not act on it any more."),
    },
    "reply_rejected": {
        "zh": ("【答复退回】{number} {title}",
               "{department}：你单位对工单 {number}（{title}）的答复未通过审核，已退回（第 {count} 次）。"
               "退回原因：{reason}。请重新办理，并于 {deadline} 前重新答复。"),
        "en": ("[Reply sent back] {number} {title}",
               "{department}: your reply to ticket {number} ({title}) was sent back (time {count}). "
               "Reason: {reason}. Please act on it and reply again by {deadline}."),
    },
    "extension_decided": {
        "zh": ("【延期审批】{number} {title}：{decision}",
               "{department}：工单 {number}（{title}）的延期申请{decision}。{reason}"
               " 现办理时限至 {deadline}。"),
        "en": ("[Extension] {number} {title}: {decision}",
               "{department}: the extension asked for ticket {number} ({title}) was {decision}. "
               "{reason} The reply is now due by {deadline}."),
    },
    "appeal_filed": {
        "zh": ("【考核申诉】{number} {title}",
               "{department}：你单位对工单 {number}（{title}）的考核申诉已提交，等待热线审核。申诉理由：{reason}"),
        "en": ("[Appeal] {number} {title}",
               "{department}: your appeal about ticket {number} ({title}) was filed and waits for the "
               "hotline's decision. Reason: {reason}"),
    },
    "appeal_decided": {
        "zh": ("【申诉结果】{number} {title}：{decision}",
               "{department}：你单位对工单 {number}（{title}）的考核申诉{decision}。理由：{reason}"),
        "en": ("[Appeal] {number} {title}: {decision}",
               "{department}: your appeal about ticket {number} ({title}) was {decision}. Reason: {reason}"),
    },
    "knowledge_decided": {
        "zh": ("【知识库审核】{number} {title}：{decision}",
               "{department}：你单位维护的知识条目 {number}（第 {version} 版：{title}）{decision}。{reason}"
               "请在工作台「知识库」中查看。"),
        "en": ("[Knowledge base] {number} {title}: {decision}",
               "{department}: version {version} of your knowledge entry {number} ({title}) was {decision}. "
               "{reason}See it in the workbench's Knowledge base."),
    },
    "knowledge_review_due": {
        "zh": ("【知识库复核】{number} {title}",
               "{department}：你单位维护的知识条目 {number}（第 {version} 版：{title}）需要复核：{reason}。"
               "请在工作台「知识库」中修订并提交审核。"),
        "en": ("[Knowledge base] {number} {title}: due for review",
               "{department}: your knowledge entry {number} (version {version}: {title}) needs a review: "
               "{reason}. Revise it in the workbench's Knowledge base and submit it."),
    },
    "case_reopened": {
        "zh": ("【工单重办】{number} {title}",
               "{department}：工单 {number}（{title}）经回访未解决，已退回重办：{reason}。"
               "请于 {sign_for_deadline} 前签收，{deadline} 前答复。"),
        "en": ("[Case reopened] {number} {title}",
               "{department}: the citizen of ticket {number} ({title}) says it is not solved "
               "({reason}). Sign for it by {sign_for_deadline} and reply by {deadline}."),
    },
    "hold_decided": {
        "zh": ("【挂账审批】{number} {title}：{decision}",
               "{department}：工单 {number}（{title}）的挂账申请{decision}。{reason}"
               " 如已同意，将于 {recheck_on} 复查；否则请于 {deadline} 前答复。"),
        "en": ("[Hold] {number} {title}: {decision}",
               "{department}: the hold asked for ticket {number} ({title}) was {decision}. {reason} "
               "If granted, it is looked at again on {recheck_on}; if not, reply by {deadline}."),
    },
    "hold_rechecked": {
        "zh": ("【挂账复查】{number} {title}",
               "{department}：挂账工单 {number}（{title}）已到复查日期 {recheck_on}，已退回你单位继续办理，"
               "请于 {deadline} 前答复。"),
        "en": ("[Hold rechecked] {number} {title}",
               "{department}: ticket {number} ({title}) was on hold until {recheck_on}; it is back with you. "
               "Please reply by {deadline}."),
    },
    "unreasonable_decided": {
        "zh": ("【不合理诉求认定】{number} {title}：{decision}",
               "{department}：工单 {number}（{title}）的不合理诉求申请{decision}。{reason}"
               " 如未同意，请继续办理，于 {deadline} 前答复。"),
        "en": ("[Unreasonable request] {number} {title}: {decision}",
               "{department}: the ruling asked for ticket {number} ({title}) was {decision}. {reason} "
               "If not granted, go on with the case and reply by {deadline}."),
    },
    "sign_for_reminder": {
        "zh": ("【签收提醒】工单 {number} 尚未签收：{title}",
               "{department}：工单 {number}（{title}）签收时限 {sign_for_deadline} 已过，请立即签收办理。"
               "办理时限至 {deadline}。"),
        "en": ("[Reminder] Ticket {number} is not signed for: {title}",
               "{department}: ticket {number} ({title}) had to be signed for by {sign_for_deadline}. "
               "Please sign for it now; the reply is due by {deadline}."),
    },
    "yellow_card": {
        "zh": ("【黄牌预警】工单 {number} 即将超期：{title}",
               "{department}：工单 {number}（{title}）将于 {deadline} 到期，尚未答复，请抓紧办理。"),
        "en": ("[Yellow card] Ticket {number} is due soon: {title}",
               "{department}: ticket {number} ({title}) is due by {deadline} and has no reply yet. "
               "Please act now."),
    },
    "red_card": {
        "zh": ("【红牌警告】工单 {number} 已超期：{title}",
               "{department}：工单 {number}（{title}）办理时限 {deadline} 已过，尚未答复，已记超期。"),
        "en": ("[Red card] Ticket {number} is overdue: {title}",
               "{department}: ticket {number} ({title}) was due by {deadline} and has no reply. "
               "It is recorded as overdue."),
    },
    "supervision": {
        "zh": ("【督办单】工单 {number} 超期督办（{level}）：{title}",
               "{level}：{department}承办的工单 {number}（{title}）办理时限 {deadline} 已过，"
               "{reason}，现予督办，请督促尽快办结并答复市民。"),
        "en": ("[Supervision order] Ticket {number} overdue ({level}): {title}",
               "To {level}: ticket {number} ({title}), handled by {department}, was due by {deadline} "
               "({reason}). Please see that it is answered without further delay."),
    },
    "rejections": {
        "zh": ("【督办单】工单 {number} 答复多次被退回（{level}）：{title}",
               "{level}：{department}对工单 {number}（{title}）的答复{reason}，现予督办，"
               "请督促认真办理。"),
        "en": ("[Supervision order] Ticket {number}: replies keep failing review ({level}): {title}",
               "To {level}: the replies of {department} to ticket {number} ({title}) were sent back "
               "({reason}). Please see that it is handled properly."),
    },
    "stalled": {
        "zh": ("【工单滞留】工单 {number} 未能流转（{level}）：{title}",
               "{level}：工单 {number}（{title}）未能按时流转，平台自动修复未果（{reason}）。"
               "请核查并处理。"),
        "en": ("[Stalled] Ticket {number} is not moving ({level}): {title}",
               "To {level}: ticket {number} ({title}) did not move on in time and the platform "
               "could not repair it ({reason}). Please look into it."),
    },
}

OUTCOMES: dict[str, dict[str, str]] = {
    "zh": {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意",
           "resolved": "已解决", "unresolved": "未解决", "unreached": "未联系上",
           "partly_resolved": "部分解决", "untrue": "不属实"},
    "en": {"satisfied": "satisfied", "basically_satisfied": "basically satisfied",
           "dissatisfied": "dissatisfied", "resolved": "resolved",
           "unresolved": "not resolved", "unreached": "could not be reached",
           "partly_resolved": "partly resolved", "untrue": "not true"},
}


def outcome(language: str, reached: bool, resolved: bool | None, satisfaction: str | None,
            found: str | None = None) -> str:
    """What a callback found, in words: ``found`` (the outcome) if known, else ``resolved``."""
    words = OUTCOMES.get(language, OUTCOMES["zh"])
    if not reached:
        return words["unreached"]
    parts: list[str] = []
    if found in words:
        parts.append(words[str(found)])
    elif resolved is not None:
        parts.append(words["resolved" if resolved else "unresolved"])
    if satisfaction:
        parts.append(words.get(satisfaction, satisfaction))
    return ", ".join(parts) or words["resolved"]


def render(template: str, language: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """``(subject, body)`` of ``template`` in ``language``."""
    texts = TEMPLATES[template]
    subject, body = texts.get(language) or texts["zh"]
    return subject.format(**context), body.format(**context)

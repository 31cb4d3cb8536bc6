"""What notify says, in Chinese (``zh``) and English (``en``).

Each template is a subject and a body formatted with ``str.format`` from a
context: ``number``, ``department`` (its name), ``deadline`` and
``sign_for_deadline`` (local time in the city), ``level`` (the supervision
level's name), ``reason``, ``reply``, ``outcome``, ``hotline`` (the city's).
SMS uses the body alone. An unknown language falls back to Chinese.
"""

TEMPLATES = {
    "receipt": {
        "zh": ("【{hotline}】工单受理回执 {number}",
               "您反映的问题已受理，工单号 {number}，已转{department}办理，"
               "办理时限至 {deadline}。查询请提供工单号。"),
        "en": ("[{hotline}] Your request {number} was received",
               "Your request was received as ticket {number} and passed to {department}, "
               "who must reply by {deadline}. Quote the ticket number when you call."),
    },
    "reply": {
        "zh": ("【{hotline}】工单 {number} 办理结果",
               "您反映的问题（工单号 {number}）{department}已办理，答复如下：{reply}"
               " 我们将回访您的满意度。"),
        "en": ("[{hotline}] The answer to your request {number}",
               "{department} answered your request {number}: {reply}"
               " We will call you to ask whether you are satisfied."),
    },
    "callback": {
        "zh": ("【{hotline}】工单 {number} 回访结果",
               "工单 {number} 已回访市民：{outcome}。请{department}知悉。"),
        "en": ("[{hotline}] Callback on ticket {number}",
               "The citizen of ticket {number} was called back: {outcome}. For {department}."),
    },
    "sign_for_reminder": {
        "zh": ("【签收提醒】工单 {number} 尚未签收",
               "{department}：工单 {number} 签收时限 {sign_for_deadline} 已过，请立即签收办理。"
               "办理时限至 {deadline}。"),
        "en": ("[Reminder] Ticket {number} is not signed for",
               "{department}: ticket {number} had to be signed for by {sign_for_deadline}. "
               "Please sign for it now; the reply is due by {deadline}."),
    },
    "yellow_card": {
        "zh": ("【黄牌预警】工单 {number} 即将超期",
               "{department}：工单 {number} 将于 {deadline} 到期，尚未答复，请抓紧办理。"),
        "en": ("[Yellow card] Ticket {number} is due soon",
               "{department}: ticket {number} is due by {deadline} and has no reply yet. "
               "Please act now."),
    },
    "red_card": {
        "zh": ("【红牌警告】工单 {number} 已超期",
               "{department}：工单 {number} 办理时限 {deadline} 已过，尚未答复，已记超期。"),
        "en": ("[Red card] Ticket {number} is overdue",
               "{department}: ticket {number} was due by {deadline} and has no reply. "
               "It is recorded as overdue."),
    },
    "supervision": {
        "zh": ("【督办单】工单 {number} 超期督办（{level}）",
               "{level}：{department}承办的工单 {number} 办理时限 {deadline} 已过，"
               "{reason}，现予督办，请督促尽快办结并答复市民。"),
        "en": ("[Supervision order] Ticket {number} overdue ({level})",
               "To {level}: ticket {number}, handled by {department}, was due by {deadline} "
               "({reason}). Please see that it is answered without further delay."),
    },
    "rejections": {
        "zh": ("【督办单】工单 {number} 答复多次被退回（{level}）",
               "{level}：{department}对工单 {number} 的答复{reason}，现予督办，"
               "请督促认真办理。"),
        "en": ("[Supervision order] Ticket {number}: replies keep failing review ({level})",
               "To {level}: the replies of {department} to ticket {number} were sent back "
               "({reason}). Please see that it is handled properly."),
    },
    "stalled": {
        "zh": ("【工单滞留】工单 {number} 未能流转（{level}）",
               "{level}：工单 {number} 未能按时流转，平台自动修复未果（{reason}）。"
               "请核查并处理。"),
        "en": ("[Stalled] Ticket {number} is not moving ({level})",
               "To {level}: ticket {number} did not move on in time and the platform could not "
               "repair it ({reason}). Please look into it."),
    },
}

OUTCOMES = {
    "zh": {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意",
           "resolved": "已解决", "unresolved": "未解决", "unreached": "未联系上"},
    "en": {"satisfied": "satisfied", "basically_satisfied": "basically satisfied",
           "dissatisfied": "dissatisfied", "resolved": "resolved",
           "unresolved": "not resolved", "unreached": "could not be reached"},
}


def outcome(language, reached, resolved, satisfaction):
    words = OUTCOMES.get(language, OUTCOMES["zh"])
    if not reached:
        return words["unreached"]
    parts = []
    if resolved is not None:
        parts.append(words["resolved" if resolved else "unresolved"])
    if satisfaction:
        parts.append(words.get(satisfaction, satisfaction))
    return ", ".join(parts) or words["resolved"]


def render(template, language, context):
    """``(subject, body)`` of ``template`` in ``language``."""
    texts = TEMPLATES[template]
    subject, body = texts.get(language) or texts["zh"]
    return subject.format(**context), body.format(**context)

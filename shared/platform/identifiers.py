"""Finding personal identifiers however they are written.

Pure Python. People write one phone number a dozen ways: ``138.0532.9876``,
``1380 532 9876``, full-width ``１３８０５３２９８７６``, ``138/0532/9876``,
``1 3 8 0 5 3 2 9 8 7 6``, in Chinese numerals ``一三八零五三二九八七六`` (or
``幺三八…``), ``+86 138…``, ``(0532) 8765 4321``. A pattern over the raw
text misses most of them, so the text is **normalised first** -- each
character through NFKC (full-width digits and punctuation become ASCII),
Chinese numerals become digits -- keeping, for every normalised character, the
position it came from. Digits are then read in *groups* (runs of digits split
by at most ``MAX_GAP`` separator characters: spaces, ``.-/·()+``); a span of
consecutive groups whose digits together form a mobile or landline number, an
ID-card number (18, the last may be X) or a bank card (16-19) is an
identifier. E-mail addresses, WeChat ids (``微信 wxid_abc123``, ``微信号：abc_123``)
and QQ numbers (``QQ 12345678``) are matched on the normalised text.

``find(text)`` answers ``(start, end, kind)`` spans of the **original** text,
so what masks them keeps every other character as it was written. Ordinary
numbers stay: a date (2026-11-27), an amount (2000元), a time (14:30), a
ticket number (QD-20261127-00001) never add up to one of those forms.
"""
import re
import unicodedata

CHINESE_DIGITS = {"零": "0", "〇": "0", "○": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3",
                  "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
SEPARATORS = set(" \t\u00a0.-/·()+_‐‑–—・")
MAX_GAP = 3  # separator characters between two groups of one number: ") " in "(0532) 8765"
LONGEST = 22  # digits: 0086 and a bank card's 19 at most

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
WECHAT = re.compile(r"(?P<wxid>wxid_[A-Za-z0-9_]{4,30})"
                    r"|(?:微信号?|(?<![A-Za-z])(?:weixin|wechat|vx|wx)|v信)(?:\s*(?:号|id))?\s*[:：]?\s*"
                    r"(?P<id>[A-Za-z][-_A-Za-z0-9]{4,19})(?![-_A-Za-z0-9])", re.IGNORECASE)
QQ = re.compile(r"(?:QQ|扣扣)\s*(?:号码|号)?\s*[:：]?\s*(?P<id>[1-9][0-9]{4,11})(?![0-9])", re.IGNORECASE)


def normalise(text):
    """``(normalised, origin)``: NFKC and Chinese numerals as digits, and for each
    normalised character the index of the original character it came from."""
    chars, origin = [], []
    for index, char in enumerate(text):
        for made in CHINESE_DIGITS.get(char) or unicodedata.normalize("NFKC", char):
            chars.append(made)
            origin.append(index)
    return "".join(chars), origin


def _groups(norm):
    """Runs of digits as ``(start, end)`` in ``norm``; an X right after digits ends a group, and one
    a few separators after them is a group of its own (ID cards)."""
    groups, i = [], 0
    while i < len(norm):
        if norm[i].isascii() and norm[i].isdigit():
            j = i
            while j < len(norm) and norm[j].isascii() and norm[j].isdigit():
                j += 1
            if j < len(norm) and norm[j] in "Xx" and (j + 1 == len(norm) or not norm[j + 1].isalnum()):
                j += 1
            groups.append((i, j))
            i = j
        elif norm[i] in "Xx" and groups and _joined(norm, groups[-1][1], i) \
                and (i + 1 == len(norm) or not norm[i + 1].isalnum()):
            groups.append((i, i + 1))  # an ID card's X written apart: "… 0 0 0 X"
            i += 1
        else:
            i += 1
    return groups


def _joined(norm, a, b):
    """Whether only a few separators lie between positions ``a`` and ``b``."""
    gap = norm[a:b]
    return len(gap) <= MAX_GAP and all(c in SEPARATORS for c in gap)


def kind_of(digits):
    """What a bare run of digits (an ID card's X included) is, or ``None``."""
    if re.fullmatch(r"[0-9]{17}[0-9Xx]", digits):
        return "id-number"
    if "X" in digits or "x" in digits:
        return None
    number = re.sub(r"^(?:0086|86)(?=1[3-9][0-9]{9}$)", "", digits)
    if re.fullmatch(r"1[3-9][0-9]{9}", number):
        return "phone"
    if re.fullmatch(r"0(?:10|2[0-9]|[3-9][0-9]{2})[2-9][0-9]{6,7}", digits):  # area code + local number
        return "phone"
    if re.fullmatch(r"[2-9][0-9]{15,18}", digits):  # not 0 (landlines) nor 1 (mobiles)
        return "bank-card"
    return None


def _digit_spans(norm):
    groups, spans, i = _groups(norm), [], 0
    while i < len(groups):
        best, digits, j = None, "", i
        while j < len(groups):
            if j > i and not _joined(norm, groups[j - 1][1], groups[j][0]):
                break
            digits += norm[groups[j][0]:groups[j][1]]
            if len(digits) > LONGEST:
                break
            kind = kind_of(digits)
            if kind:
                best = (j, kind)
            j += 1
        if best is None:
            i += 1
            continue
        j, kind = best
        start = groups[i][0]
        if kind == "phone" and start > 0 and norm[start - 1] in "+(":
            start -= 1
        spans.append((start, groups[j][1], kind))
        i = j + 1
    return spans


def _pattern_spans(norm):
    spans = [(m.start(), m.end(), "email") for m in EMAIL.finditer(norm)]
    for match in WECHAT.finditer(norm):
        group = "id" if match.group("id") else "wxid"
        spans.append((match.start(group), match.end(group), "wechat"))
    spans += [(m.start("id"), m.end("id"), "qq") for m in QQ.finditer(norm)]
    return spans


def find(text):
    """Sorted, non-overlapping ``(start, end, kind)`` spans of ``text`` holding an identifier."""
    if not isinstance(text, str) or not text:
        return []
    norm, origin = normalise(text)
    found, taken = [], -1
    for start, end, kind in sorted(_pattern_spans(norm) + _digit_spans(norm), key=lambda s: (s[0], -s[1])):
        if start < taken:
            continue
        found.append((origin[start], origin[end - 1] + 1, kind))
        taken = end
    return found


def replace(text, with_what):
    """``text`` with each identifier span replaced by ``with_what(original_span, kind)``."""
    spans = find(text)
    if not spans:
        return text
    out, last = [], 0
    for start, end, kind in spans:
        out.append(text[last:start])
        out.append(with_what(text[start:end], kind))
        last = end
    out.append(text[last:])
    return "".join(out)

"""Personal data: masked where people work, scrubbed where the public looks.

Pure Python. Two kinds of treatment:

* **masking** keeps enough to recognise a value for the staff who handle it
  (``138****5678``, ``张*``, ``l***@example.com``): logs, CLI listings, events
  that need no more;
* **scrubbing** removes personal identifiers from free text before it is
  shown to anyone without a right to it (Open311's public listing, a published
  reply): Chinese mobile and landline numbers, 18-digit ID-card numbers, bank
  card numbers, e-mail addresses, WeChat ids and QQ numbers become ``[phone]``,
  ``[id-number]``, ``[bank-card]``, ``[email]``, ``[wechat]``, ``[qq]`` in
  whatever notation they are written (``shared.platform.identifiers`` normalises first
  and masks the original span); a home address is cut to its street and number
  (``coarse_address``), and building, unit and flat numbers in free text go.

Names inside free text cannot be found reliably by a pattern; where they
matter the whole field is withheld instead. ``deidentify`` goes further, for a
text that is to be kept and read by anyone (a knowledge entry drafted from a
case): what ``scrub`` removes, the names and addresses the caller gave wherever
they appear (``[name]``, ``[address]``), a name said with a title (张先生, 李女士)
or after a label (联系人李四), and house numbers after a street's name.
"""
import hashlib
import hmac
import re

from shared.platform import identifiers
from shared.platform.addresses import coarse_address, drop_flats, drop_house_numbers  # noqa: F401 (re-exported)

_SEP = r"[-\s\u00a0]?"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 18-digit resident ID (the last character may be X), also written in groups of 6-8-4.
ID_NUMBER = re.compile(r"(?<![\dA-Za-z])\d{6}" + _SEP + r"\d{8}" + _SEP + r"\d{3}[\dXx](?![\dA-Za-z])")
# Mobile numbers: 11 digits from 13..19, optionally +86, in any grouping (138-5321-2345).
MOBILE = re.compile(r"(?<![\d+])(?:\+?86" + _SEP + r")?1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}(?!\d)")
# Landlines with their area code: 0532-88886666, (0532) 8888 6666, 010-12345678-123.
LANDLINE = re.compile(r"(?<!\d)(?:\(0\d{2,3}\)\s?|0\d{2,3}" + _SEP + r")\d{3,4}" + _SEP + r"\d{4}"
                      r"(?:-\d{1,6})?(?!\d)")
# Bank cards: 16 to 19 digits, plain or in groups of four.
BANK_CARD = re.compile(r"(?<!\d)\d{4}(?:" + _SEP + r"\d{4}){3}(?:" + _SEP + r"?\d{1,3})?(?!\d)")



def scrub(text):
    """``text`` with phone, ID-card, bank-card numbers, e-mail addresses, WeChat
    ids and QQ numbers replaced, however written, and flats dropped."""
    if not isinstance(text, str) or not text:
        return text
    return drop_flats(identifiers.replace(text, lambda _span, kind: f"[{kind}]"))


_HAN = "[\u3400-\u9fff]"
# A surname with a title (张先生, 李女士, 王师傅; not 这位先生), and a name after a label (联系人：李四).
TITLED_NAME = re.compile(rf"(?![位名个的该此这那各本贵某老]){_HAN}(?:先生|女士|小姐|师傅|阿姨|大爷|大妈)")
LABELLED_NAME = re.compile(rf"(?P<label>(?:联系人|经办人|负责人|承办人|来电人|姓名)\s*[:：]?\s*)"
                           rf"{_HAN}{{2}}(?:{_HAN}(?!{_HAN}))?")


def deidentify(text, names=(), addresses=()):
    """``text`` de-identified for anyone to read: ``names`` and ``addresses`` known to be in it
    (the caller's) replaced wherever written (an address in full and to its street number),
    names said with a title or after a label, and then what ``scrub`` removes and house numbers."""
    if not isinstance(text, str) or not text:
        return text
    known = [(str(n).strip(), "[name]") for n in names if n and len(str(n).strip()) >= 2]
    for address in addresses:
        if address and str(address).strip():
            known += [(str(address).strip(), "[address]"), (coarse_address(str(address).strip()), "[address]")]
    for value, mark in sorted(known, key=lambda pair: -len(pair[0])):
        if len(value) >= 2:
            text = text.replace(value, mark)
    text = TITLED_NAME.sub("[name]", text)
    text = LABELLED_NAME.sub(lambda m: f"{m.group('label')}[name]", text)
    return drop_house_numbers(scrub(text))


def mask_phone(phone):
    """Keep the first three and last four digits: ``138****5678``."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", str(phone))
    if str(phone).strip().startswith("+86"):  # the country code is not part of the number
        digits = digits[2:]
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_name(name):
    """Keep the first character of each word: ``张*``, ``J**** S****``."""
    if not name:
        return name
    words = str(name).split()
    if len(words) == 1:
        return name[0] + "*" * max(1, len(name) - 1)
    return " ".join(w[0] + "*" * max(1, len(w) - 1) for w in words)


def mask_email(email):
    """``li.ming@example.com`` -> ``l***@example.com``."""
    if not email or "@" not in str(email):
        return email
    local, _, domain = str(email).rpartition("@")
    return f"{local[:1]}***@{domain}"


def mask_recipient(recipient):
    """A notification's recipient for a log line or a listing: e-mail, phone or URL."""
    if not recipient:
        return recipient
    text = str(recipient)
    if text.startswith(("http://", "https://")):
        return text.split("?")[0]
    if "@" in text:
        return mask_email(text)
    if re.fullmatch(r"[\d\s()+-]{5,}", text):
        return mask_phone(text)
    return scrub(text)


def mask_text(text):
    """Free text for a log line: identifiers masked (``138****5678``), not removed."""
    if not isinstance(text, str) or not text:
        return text
    text = EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    text = ID_NUMBER.sub(lambda m: m.group(0)[:3] + "*" * 11 + m.group(0)[-4:], text)
    text = BANK_CARD.sub(lambda m: "*" * 12 + re.sub(r"\D", "", m.group(0))[-4:], text)
    text = MOBILE.sub(lambda m: mask_phone(m.group(0)), text)
    return LANDLINE.sub(lambda m: mask_phone(m.group(0)), text)


def digest(secret, value):
    """A keyed digest that stands for ``value`` where only equality matters
    (rate-limit and quota keys): the value itself is never stored."""
    return hmac.new(str(secret).encode("utf-8"), str(value).encode("utf-8"),
                    hashlib.sha256).hexdigest()[:32]

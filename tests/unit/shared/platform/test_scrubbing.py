"""The public scrubber finds a phone, ID-card or bank-card number however it is
written, masks it where it was written, and leaves ordinary numbers alone."""
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.platform.addresses import coarse_address
from shared.platform.privacy import deidentify, scrub

CHINESE = "零一二三四五六七八九"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def luhn_digit(body):
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


mobiles = st.builds(lambda p, rest: f"1{p}{rest}", st.sampled_from("3456789"),
                    st.text("0123456789", min_size=9, max_size=9))
landlines = st.builds(lambda area, first, rest: f"0{area}{first}{rest}",
                      st.sampled_from(["532", "531", "10", "21", "755"]), st.sampled_from("2345678"),
                      st.text("0123456789", min_size=7, max_size=7))
id_numbers = st.builds(lambda region, year, month, day, seq, last: f"{region}{year}{month:02d}{day:02d}{seq}{last}",
                       st.sampled_from(["370202", "110101", "440305"]), st.integers(1940, 2020).map(str),
                       st.integers(1, 12), st.integers(1, 28), st.text("0123456789", min_size=3, max_size=3),
                       st.sampled_from("0123456789X"))
bank_cards = st.builds(lambda prefix, body: prefix + body + luhn_digit(prefix + body),
                       st.sampled_from(["6222", "6217", "4392", "5187", "6228", "9558", "2221", "3568"]),
                       st.integers(11, 14).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))
identifiers = st.one_of(mobiles, landlines, id_numbers, bank_cards)


def group(digits, sizes):
    out, i = [], 0
    for size in sizes:
        if i >= len(digits):
            break
        out.append(digits[i:i + size])
        i += size
    if i < len(digits):
        out.append(digits[i:])
    return out


@st.composite
def notations(draw):
    """One identifier in one of the ways people write it."""
    digits = draw(identifiers)
    style = draw(st.sampled_from(["plain", "dots", "spaces", "slashes", "dashes", "spaced", "full-width",
                                  "chinese", "yao", "plus86", "paren", "nbsp", "mixed"]))
    sizes = draw(st.sampled_from([(3, 4, 4), (4, 4, 4, 4), (6, 8, 4), (3, 3, 5), (4, 3, 4)]))
    parts = group(digits, sizes)
    if style == "plain":
        text = digits
    elif style == "dots":
        text = ".".join(parts)
    elif style == "spaces":
        text = " ".join(parts)
    elif style == "slashes":
        text = "/".join(parts)
    elif style == "dashes":
        text = "-".join(parts)
    elif style == "spaced":
        text = " ".join(digits)
    elif style == "full-width":
        text = " ".join(parts).translate(FULL_WIDTH)
    elif style == "chinese":
        text = "".join(CHINESE[int(c)] if c.isdigit() else c for c in digits)
    elif style == "yao":
        text = "".join("幺" if c == "1" else CHINESE[int(c)] if c.isdigit() else c for c in digits)
    elif style == "plus86":
        text = ("+86 " + " ".join(parts)) if digits.startswith("1") and len(digits) == 11 else digits
    elif style == "paren":
        text = f"({digits[:4]}) {digits[4:8]} {digits[8:]}" if digits.startswith("0") else "-".join(parts)
    elif style == "nbsp":
        text = "\u00a0".join(parts)
    else:
        text = " ".join(parts[:1] + ["".join(parts[1:]).translate(FULL_WIDTH)])
    return digits, text


def digits_of(text):
    """The digits a reader would read in ``text``, Chinese numerals and full-width included."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(str(CHINESE.index(c)) if c in CHINESE else "1" if c == "幺" else c for c in text)
    return re.sub(r"[^0-9]", "", text)


BEFORE = st.sampled_from(["", "我的电话是", "联系 ", "号码：", "卡号 ", "身份证", "请回电 ", "Tel: "])
AFTER = st.sampled_from(["", "，谢谢", " 请尽快处理", "。", "！", "（白天）"])


@settings(max_examples=600, deadline=None)
@given(notations(), BEFORE, AFTER)
def test_no_notation_of_an_identifier_survives(notation, before, after):
    digits, written = notation
    text = f"{before}{written}{after}"
    scrubbed = scrub(text)
    # Its core -- the digits after any country or area prefix -- cannot be read in what is left.
    core = digits[-7:].rstrip("X")
    assert core not in digits_of(scrubbed), (text, scrubbed)
    assert scrubbed.startswith(before.rstrip()[:1]) and scrubbed.endswith(after[-1:]), (text, scrubbed)


@pytest.mark.parametrize("written, shown", [
    ("电话138.0532.9876", "电话[phone]"), ("1380 532 9876", "[phone]"),
    ("１３８０５３２９８７６", "[phone]"), ("138/0532/9876", "[phone]"),
    ("1 3 8 0 5 3 2 9 8 7 6", "[phone]"), ("一三八零五三二九八七六", "[phone]"),
    ("幺三八零五三二九八七六", "[phone]"), ("+86 138 0532 9876", "[phone]"),
    ("座机(0532) 8765 4321", "座机[phone]"), ("微信 wxid_abc123", "微信 [wechat]"),
    ("微信号：abc_123", "微信号：[wechat]"), ("QQ 12345678", "QQ [qq]"),
    ("身份证 370202 19900101 123X", "身份证 [id-number]"),
    ("1 1 0 1 0 1 2 0 0 0 0 1 0 1 0 0 0 X", "[id-number]"),  # the X apart (found by the property below)
    ("卡号6222 0212 3456 7890 123", "卡号[bank-card]"),
    ("邮箱 li.ming@example.com", "邮箱 [email]"),
])
def test_each_notation_from_the_report_is_masked_in_place(written, shown):
    assert scrub(written) == shown


@pytest.mark.parametrize("text", [
    "2026年11月27日14:30停水，已交水费2000元", "工单QD-20261127-00001已转办", "2026-11-27 至 2026-12-03",
    "共3户、约200户居民受影响", "3室2厅，面积89.5平方米", "第一次反映，10:30-12:00 之间", "金额 12,000.50 元",
    "编号 A-12-345", "2026.11.27", "路灯已坏 3 天", "第 3 X 光片", "共 2000 X 件",
])
def test_ordinary_numbers_stay(text):
    assert scrub(text) == text


@pytest.mark.parametrize("address, public", [
    ("海尔路17号3单元502", "海尔路17号"),
    ("香港中路 8 号 2 栋 1 单元 1201 室", "香港中路 8 号"),
    ("海尔路小区 3 号楼", "海尔路小区"),
    ("崂山区海尔路17号院5号楼2单元301室", "崂山区海尔路17号院"),
    ("海尔路小区3-2-502", "海尔路小区"),
    ("ＸＸ路１７号３单元５０２", "ＸＸ路１７号"),
    ("辽宁路 8 号", "辽宁路 8 号"),
    ("市北区延吉路与南京路路口", "市北区延吉路与南京路路口"),
])
def test_an_address_is_published_to_its_street_and_number_at_most(address, public):
    assert coarse_address(address) == public


def test_flats_in_free_text_are_dropped():
    assert scrub("我家住海尔路17号3单元502，楼上漏水") == "我家住海尔路17号，楼上漏水"
    assert scrub("3号楼2单元502室漏水三天") == "漏水三天"


def test_a_text_de_identified_for_anyone_loses_the_callers_name_and_address_and_house_numbers():
    text = ("张三来电：我住崂山区海尔路17号3单元502，张先生说联系人：李四电话138 5321 2345，"
            "身份证370202199001011234，另一处在香港中路 8 号")
    said = deidentify(text, names=["张三"], addresses=["崂山区海尔路17号3单元502"])
    assert said == ("[name]来电：我住[address]，[name]说联系人：[name]电话[phone]，"
                    "身份证[id-number]，另一处在香港中路")


def test_de_identifying_keeps_what_is_no_one_s():
    text = "根据国办发〔2020〕53号文件，这位先生可乘地铁3号线，于2026-11-27前办理，费用2000元"
    assert deidentify(text) == text

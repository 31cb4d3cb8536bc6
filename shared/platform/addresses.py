"""Home addresses made coarse enough to publish.

Pure Python. What the public sees of an address is the street (or road,
village, compound) and its number at most: ``海尔路17号3单元502`` becomes
``海尔路17号``, ``香港中路 8 号 2 栋 1 单元 1201 室`` becomes ``香港中路 8 号``,
``海尔路小区 3 号楼`` becomes ``海尔路小区``. In free text the building (栋, 幢,
座, 号楼), unit (单元) and flat (室, 户, or the 3-4 digit room number after a
building or unit) are dropped where they appear; what remains is left as
written; ``drop_house_numbers`` drops the street's number too (``海尔路17号`` ->
``海尔路``) where a text is to be read by anyone. Matching is done on the NFKC form (full-width digits count), the cut
on the original text.
"""
import re
import unicodedata

_N = r"[0-9A-Za-z]+"
BUILDING = _N + r"\s*(?:号楼|栋|幢|座)"
UNIT = r"[0-9]+\s*单元"
ROOM_AFTER = r"[0-9]{1,4}\s*(?:室|户)?(?![0-9])"  # after a building or unit: 502, 502室, 3户
ROOM_ALONE = r"[0-9]{3,4}\s*室"                    # on its own only 502室 (not 3室2厅, not 200户)
FLAT = re.compile(
    rf"[-\s]*(?:{BUILDING}\s*[-\s]?(?:{UNIT}\s*[-\s]?)?(?:{ROOM_AFTER})?"
    rf"|{UNIT}\s*[-\s]?(?:{ROOM_AFTER})?"
    rf"|{ROOM_ALONE}"
    rf"|(?<=号)\s*[0-9]+-[0-9]+(?:-[0-9]+)?(?![0-9]))")
# A street number: 17号, not 3号楼 (a building), 17号院 (a compound, kept whole) or 3号线.
STREET_NUMBER = re.compile(r"[0-9]+(?:-[0-9]+)?\s*号(?!\s*[楼线])(?:\s*院)?")
# A house number right after its street, road, lane or village: 海尔路17号, 东城胡同8-2号, 王家村3号院
# (not 〔2020〕53号, a document's number, nor 3号线).
HOUSE_NUMBER = re.compile(r"(?<=[路街道巷弄村同])\s*[0-9]+(?:-[0-9]+)?\s*号(?!\s*[楼线])(?:\s*院)?")
# 3-2-502 at an address's end: building, unit, flat.
DASHED = re.compile(r"[0-9]+-[0-9]+(?:-[0-9]+)?\s*室?\s*$")
TRAILING = " \t,，、;；-"


def _nfkc(text):
    """``(normalised, origin)``: each character through NFKC, with where it came from."""
    chars, origin = [], []
    for index, char in enumerate(text):
        for made in unicodedata.normalize("NFKC", char):
            chars.append(made)
            origin.append(index)
    origin.append(len(text))
    return "".join(chars), origin


def coarse_address(address):
    """``address`` up to its street number at most; without one, up to its first building, unit or flat."""
    if not isinstance(address, str) or not address:
        return address
    norm, origin = _nfkc(address)
    street = STREET_NUMBER.search(norm)
    if street is not None:
        return address[:origin[street.end()]].rstrip(TRAILING)
    cuts = [found.start() for found in (FLAT.search(norm), DASHED.search(norm)) if found is not None]
    if cuts:
        return address[:origin[min(cuts)]].rstrip(TRAILING)
    return address


def drop_flats(text):
    """Free text without the building, unit and flat numbers in it."""
    return _drop(FLAT, text)


def drop_house_numbers(text):
    """Free text without the house numbers after a street's name (``海尔路17号`` -> ``海尔路``):
    what de-identifies a text to be read by anyone, where the public's street number may stay."""
    return _drop(HOUSE_NUMBER, drop_flats(text))


def _drop(pattern, text):
    if not isinstance(text, str) or not text:
        return text
    norm, origin = _nfkc(text)
    out, last = [], 0
    for match in pattern.finditer(norm):
        if match.end() == match.start():
            continue
        start, end = origin[match.start()], origin[match.end()]
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return "".join(out)

"""Names a city gives in both languages at once ("环境卫生 Garbage and sanitation",
"公用事业 Utilities"): the catalogue's categories and groups. A reader gets the part in
their language; a name in one language only is kept as it is."""
import re

BILINGUAL = re.compile(r"^(?P<zh>.*?[^\x00-\x7f].*?)\s+(?P<en>[A-Za-z][\x00-\x7f]*)$", re.DOTALL)


def in_language(text: object, locale: str) -> str:
    """The Chinese part of a bilingual name in Chinese (``zh_CN``), the English part otherwise;
    a name in one language only, as it is."""
    found = BILINGUAL.match(str(text or "").strip())
    if not found:
        return str(text or "")
    return found.group("zh").strip() if locale == "zh_CN" else found.group("en").strip()

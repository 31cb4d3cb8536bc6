"""Reading text files people bring: UTF-8, or GB18030 where Chinese tools saved it.

Spreadsheets and editors in China save CSV in GB18030 (GBK); a file read in
the wrong encoding turns every character into ``�`` without an error. Here a
file is decoded strictly: ``encoding="auto"`` takes UTF-8 (with or without a
BOM) when the bytes are UTF-8 and GB18030 otherwise; an explicit encoding is
used as given; bytes that do not decode are an error naming the position.
"""
from os import PathLike

ENCODINGS = ("auto", "utf-8", "gb18030")
FilePath = str | PathLike[str]


class NotText(ValueError):
    """The file does not decode in the encoding asked for."""


def guess_encoding(path: FilePath) -> str:
    """UTF-8 (with or without BOM), else GB18030 -- what Chinese spreadsheets export."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 20)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "gb18030"
    return "utf-8-sig"


def resolve(path: FilePath, encoding: str | None = "auto") -> str:
    encoding = (encoding or "auto").lower().replace("_", "-")
    if encoding == "auto":
        return guess_encoding(path)
    if encoding in ("utf-8", "utf8"):
        return "utf-8-sig"
    if encoding in ("gb18030", "gbk", "gb2312"):  # GB18030 contains both
        return "gb18030"
    raise NotText(f"unknown encoding {encoding!r}: use one of {', '.join(ENCODINGS)}")


def read_text(path: FilePath, encoding: str | None = "auto") -> str:
    """The whole file as text, decoded strictly (``NotText`` when it does not decode)."""
    chosen = resolve(path, encoding)
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return data.decode(chosen)
    except UnicodeDecodeError as exc:
        raise NotText(f"{path} is not {chosen.replace('-sig', '')} text (byte {exc.start}): "
                      "save it as UTF-8, or say --encoding gb18030") from None

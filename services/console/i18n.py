"""Languages of the workbench: gettext catalogues (Babel), Chinese first.

The catalogues are the ``.po`` files in ``translations/<locale>/LC_MESSAGES``
(msgids in English); they are compiled in memory when the console starts,
so no build step is needed. ``make translations`` extracts new strings
from the templates and code and merges them into the catalogues.
"""
import gettext
import io
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Format

HERE = Path(__file__).parent
LOCALES = ("zh_CN", "en")
DEFAULT = "zh_CN"
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def N_(message):
    """Mark a message for the catalogues; it is translated where it is shown."""
    return message


def load(locale):
    """``gettext.GNUTranslations`` for ``locale`` from its ``.po`` file."""
    path = HERE / "translations" / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return gettext.NullTranslations()
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def chosen(value):
    return value if value in LOCALES else DEFAULT


def formats(locale, zone):
    return Format(Locale.parse(locale), tzinfo=zone)

"""Every word of the workbench is in the Chinese catalogue (services/console/translations)."""


def test_every_string_of_the_workbench_is_translated_into_chinese():
    from babel.messages.extract import extract_from_dir, extract_python
    from babel.messages.pofile import read_po

    from services.console import i18n
    from shared.contract import reasons

    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "N_": None, "gettext": None}
    wanted = {message for _, _, message, *_ in extract_from_dir(
        str(i18n.HERE), method_map, options_map=options, keywords=keywords)}
    # routing's reasons, which the workbench says in the reader's language (shared/contract/reasons.py)
    with open(reasons.__file__, "rb") as handle:
        wanted |= {message for _, _, message, _ in extract_python(handle, keywords, [], {})}
    assert set(reasons.SENTENCES.values()) - {"%(text)s"} <= wanted
    with open(i18n.HERE / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = {m.id: m.string for m in read_po(handle) if m.id}
    missing = sorted(m for m in wanted if not catalog.get(m))
    assert not missing, f"run `make translations` and translate: {missing}"

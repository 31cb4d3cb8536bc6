"""How deep a JSON document nests, found without recursion.

Python's ``json`` decoder recurses once per level and raises ``RecursionError``
near 1,000 levels -- an exception no ``except ValueError`` catches -- and so
does everything that walks the result. Messages and request bodies from
outside are measured first and refused past ``MAX_DEPTH`` levels (no request
of the platform's needs more than a handful).
"""
MAX_DEPTH = 64


def text_depth(text):
    """Nesting depth of JSON ``text`` (brackets outside strings), in one pass."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


_NESTING = (dict, list, tuple)


def value_depth(value):
    """Nesting depth of a decoded value (dicts and lists), iteratively."""
    if not isinstance(value, _NESTING):
        return 0
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH * 4:  # far enough to say no
            return deepest
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, _NESTING):  # a scalar adds no level: only what nests is walked
                stack.append((child, level + 1))
    return deepest


def too_deep_text(text, limit=MAX_DEPTH):
    return text_depth(text) > limit


def too_deep(value, limit=MAX_DEPTH):
    return value_depth(value) > limit

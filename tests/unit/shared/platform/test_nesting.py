"""How deep a decoded message nests: what ``@consumes`` measures before it loads one."""
from shared.platform.nesting import MAX_DEPTH, too_deep, value_depth


def nested(levels):
    value = leaf = []
    for _ in range(levels - 1):
        leaf.append([])
        leaf = leaf[0]
    return value


def test_only_dicts_lists_and_tuples_count_as_levels():
    assert [value_depth(v) for v in (1, "text", None, 2.5)] == [0, 0, 0, 0]
    assert value_depth({}) == value_depth([]) == value_depth(()) == 1
    assert value_depth({"a": 1, "b": "x", "c": [1, 2, {"d": (3, [])}]}) == 5
    assert value_depth([1, {"a": {"b": {}}}, [[2]]]) == 4


def test_a_message_past_the_limit_is_too_deep_and_the_walk_stops_early():
    assert not too_deep(nested(MAX_DEPTH)) and too_deep(nested(MAX_DEPTH + 1))
    assert value_depth(nested(10_000)) == MAX_DEPTH * 4 + 1  # not walked to the bottom

"""Numbers from outside are whole, finite and bounded."""
import pytest

from shared.platform.checks import whole_number


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 1e308, -1, 0, 1001,
                                   2.5, True, "10", None])
def test_what_is_not_a_count_in_range_is_refused(value):
    with pytest.raises(ValueError, match="limit must be a whole number from 1 to 1000"):
        whole_number("limit", value, 1, 1000)


def test_counts_in_range_pass():
    assert [whole_number("limit", v, 1, 1000) for v in (1, 50, 1000, 20.0)] == [1, 50, 1000, 20]

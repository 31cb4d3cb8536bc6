"""Who may be a user: a new user is checked field by field (services/console/domain/people.py)."""
import pytest

from services.console.domain import people


def test_a_new_user_is_checked_by_field():
    user = people.check_new_user("Zhang.Gong", ["department"], "WATER", {"WATER"}, "张工")
    assert user == {"login": "zhang.gong", "display_name": "张工", "roles": ["department"], "department": "WATER"}
    with pytest.raises(people.UserInvalid) as bad:
        people.check_new_user("x", ["wizard"], None, {"WATER"})
    assert set(bad.value.errors) == {"login", "roles"}
    with pytest.raises(people.UserInvalid) as bad:
        people.check_new_user("li.shen", ["department"], None, {"WATER"})
    assert "department" in bad.value.errors
    with pytest.raises(people.UserInvalid):
        people.check_new_user("li.shen", ["department"], "NOPE", {"WATER"})
    with pytest.raises(people.UserInvalid):
        people.check_new_user("li.shen", ["reviewer"], "WATER", {"WATER"})
    with pytest.raises(people.UserInvalid):
        people.check_password("short", "li.shen")
    with pytest.raises(people.UserInvalid):
        people.check_password("my-name-is-li.shen-ok", "li.shen")
    assert len(people.generate_password()) == 16

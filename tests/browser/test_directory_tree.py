"""The directory as a tree in the workbench: the administrator moves a community and
writes its duties; the supervisor's scorecard rolls a street up into its district."""
import time


def test_the_administrator_sees_and_edits_the_tree(workbench):
    admin = workbench.sign_in("admin")
    admin.goto(f"{workbench.url}/admin/departments")
    rows = admin.locator("#directory tbody tr")
    codes = [rows.nth(i).get_attribute("data-department") for i in range(rows.count())]
    # each unit right below its parent: the district, its street, the street's communities
    shinan = codes.index("D-SHINAN")
    assert codes.index("S-BADAGUAN") > shinan and codes.index("C-BDG-SHAOGUAN") > codes.index("S-BADAGUAN")
    community = admin.locator("tr[data-department='C-BDG-TAIPINGJIAO']")
    assert "depth-2" in community.get_attribute("class") and "八大关街道办事处" in community.inner_text()

    community.locator("summary").click()
    community.locator("select[name=parent]").select_option("S-XIANGGANG")
    community.locator("textarea[name=duties]").fill("沿海步道的日常巡查\n居民诉求的上门核实和回复")
    community.locator("input[name=reason]").fill("区划调整")
    community.locator("button").click()
    assert "C-BDG-TAIPINGJIAO" in workbench.flash(admin)
    moved = admin.locator("tr[data-department='C-BDG-TAIPINGJIAO']")
    assert moved.get_attribute("data-parent") == "S-XIANGGANG" and "沿海步道的日常巡查" in moved.inner_text()
    workbench.shot(admin, "admin-directory-tree")

    # a district placed under one of its own communities: refused, said in Chinese, nothing changed
    district = admin.locator("tr[data-department='D-SHINAN']")
    district.locator("summary").click()
    district.locator("select[name=parent]").select_option("C-BDG-SHAOGUAN")
    district.locator("input[name=reason]").fill("试")
    district.locator("button").click()
    assert "上级单位" in admin.inner_text("main")
    assert workbench.stack.rpc("routing", "get_department", "D-SHINAN")["parent"] == ""


def test_the_scorecard_rolls_a_street_up_into_its_district(workbench):
    answer = workbench.stack.post({"channel": "web", "title": "有事反映", "description": "小区门口有事需要街道协调",
                                   "district": "市南区", "street": "八大关街道"})
    assert answer.status_code == 201, answer.text
    case = workbench.wait_for_case(answer.json()["number"])
    assert case["department_code"] == "S-BADAGUAN"
    workbench.user("tree.sup", "supervisor", name="唐督办")
    supervisor = workbench.sign_in("tree.sup")
    deadline = time.monotonic() + 20
    while True:
        supervisor.goto(f"{workbench.url}/supervisor")
        rolled = supervisor.locator("#scorecard tr[data-department='D-SHINAN'][data-scope='rolled_up']")
        if rolled.count() or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert "含下级单位" in rolled.inner_text() and "八大关街道办事处" in rolled.locator(".badge").get_attribute("title")
    own = supervisor.locator("#scorecard tr[data-department='S-BADAGUAN'][data-scope='unit']")
    assert own.count() == 1
    workbench.shot(supervisor, "supervisor-scorecard-rolled-up")

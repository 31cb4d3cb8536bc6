"""The monthly assessment (考核) in the workbench: the table per group with raw and adjusted
scores, intervals and ranks; a figure drilled down to its cases; the report downloaded.

October 2026 of the generated history (``hotline.insight_history``): the housing bureau takes
the hard categories and does on them as the city does, the human-resources bureau does worse
on every category. Months long past, so no other test's figures move.
"""
import datetime as dt

from hotline.insight_history import generate


def test_the_supervisor_reads_the_assessment_drills_down_and_downloads_the_report(workbench):
    records, _ = generate(weeks=4, now=dt.datetime(2026, 11, 1, 1, tzinfo=dt.UTC), seed=5, daily_volume=300,
                          prefix="AS", plant=False)
    for start in range(0, len(records), 2000):
        workbench.stack.rpc("insight", "import_history", records[start:start + 2000])
    workbench.user("as.sup", "supervisor", name="孙督办")

    page = workbench.sign_in("as.sup")
    page.goto(f"{workbench.url}/assessment?month=2026-10")
    bureaus = page.locator("table.assessment[data-group=city_bureaus]")
    assert "市住房和城乡建设局" in bureaus.inner_text()
    assert page.locator("tr[data-unit=HRSS]").get_attribute("data-verdict") == "below"
    housing = page.locator("tr[data-unit=HOUSING]")
    assert housing.get_attribute("data-verdict") == "as_city"
    workbench.shot(page, "assessment")

    housing.locator("a[href*='rate=solved']").click()
    page.wait_for_selector("section[data-rate=solved]")
    first = page.locator("section[data-rate=solved] a").first
    assert first.inner_text().startswith("AS-202610")
    workbench.shot(page, "assessment-cases")

    session = workbench.http("as.sup")
    pdf = session.get(f"{workbench.url}/assessment/report-2026-10.pdf", timeout=60)
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    xlsx = session.get(f"{workbench.url}/assessment/report-2026-10.xlsx", timeout=60)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert session.get(f"{workbench.url}/assessment?month=2026-13", timeout=10).status_code == 400

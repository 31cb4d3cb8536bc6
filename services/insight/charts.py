"""PNG charts of the reports (matplotlib, Agg backend: no display needed).

Labels use the catalogue's category codes and the districts' codes, which
every font has; the Chinese names are in the JSON reports. matplotlib is
imported on the first chart asked for, not with the service: it is 25 MB of
memory that the event handlers never need.
"""
import datetime as dt
import io


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(figure)
    return buffer.getvalue()


def hotspots_chart(report, district_codes=None):
    """Top categories per day, and each flagged spike against its expectation."""
    codes = district_codes or {}
    days = [dt.date.fromisoformat(d) for d in report["days"]]
    spikes = report["spikes"][:4]
    rows = 1 + (1 if spikes else 0)
    figure, axes = _pyplot().subplots(rows, 1, figsize=(11, 4.2 * rows), squeeze=False)
    top = axes[0][0]
    for series in report["category_daily"]:
        top.plot(days, series["daily"], marker=".", label=series["category"])
    for spike in report["spikes"]:
        line = next((s for s in report["category_daily"] if s["category"] == spike["category"]), None)
        for day in spike["days_flagged"]:
            at = dt.date.fromisoformat(day)
            top.axvspan(at - dt.timedelta(hours=12), at + dt.timedelta(hours=12), color="red", alpha=0.08)
            if line:
                top.plot([at], [line["daily"][days.index(at)]], "rv", markersize=9)
    top.set_title(f"Requests per day by category, {report['from']} to {report['to']} "
                  f"(red: days with a flagged spike)")
    top.set_ylabel("requests")
    top.legend(fontsize=8, ncol=3)
    top.grid(alpha=0.3)
    if spikes:
        bottom = axes[1][0]
        for spike in spikes:
            label = f"{spike['category']} @ {codes.get(spike['district'], spike['district'])}"
            bottom.plot(days, spike["daily"], marker=".", label=label)
            flagged = [dt.date.fromisoformat(d) for d in spike["days_flagged"]]
            bottom.plot(flagged, [spike["daily"][days.index(d)] for d in flagged], "r^", markersize=10)
            per_day = spike["expected"] / max(len(flagged), 1)
            bottom.axhline(per_day, linestyle="--", linewidth=0.8, color=bottom.lines[-2].get_color())
            bottom.annotate(f"x{spike['ratio']} since {spike['since']}",
                            (flagged[0], spike["daily"][days.index(flagged[0])]),
                            textcoords="offset points", xytext=(10, -4), fontsize=8)
        bottom.set_title("Flagged spikes: category @ district per day (dashed: expected per day)")
        bottom.set_ylabel("requests")
        bottom.legend(fontsize=8)
        bottom.grid(alpha=0.3)
    figure.autofmt_xdate()
    return _png(figure)


def staffing_chart(plan):
    """Forecast arrivals by channel and operators needed, hour by hour."""
    hours = plan["hours"]
    x = list(range(len(hours)))
    figure, (upper, lower) = _pyplot().subplots(2, 1, figsize=(13, 7), sharex=True)
    bottom = [0.0] * len(hours)
    for channel in sorted(hours[0]["forecast"]):
        values = [h["forecast"][channel] for h in hours]
        upper.bar(x, values, bottom=bottom, width=1.0, label=channel)
        bottom = [b + v for b, v in zip(bottom, values)]
    if "actual" in plan:
        upper.step(x, plan["actual"]["calls"], where="mid", color="black", linewidth=0.8,
                   label="actual (staffed channels)")
    upper.set_ylabel("requests per hour")
    upper.set_title(f"Forecast arrivals, week of {plan['week_start']} "
                    f"(from {plan['history_weeks']} weeks of history)")
    upper.legend(fontsize=8, ncol=5)
    lower.step(x, [h["operators"] for h in hours], where="mid", label="operators to roster")
    lower.step(x, [h["agents"] for h in hours], where="mid", linestyle="--",
               label="on the phones (Erlang C)")
    target = plan["target"]
    lower.set_title(f"Operators for {target['share']:.0%} of calls answered within "
                    f"{target['seconds']:.0f} s, AHT {plan['aht_seconds']:.0f} s, "
                    f"shrinkage {plan['shrinkage']:.0%}")
    lower.set_ylabel("operators")
    lower.legend(fontsize=8)
    lower.set_xticks(range(0, 168, 12))
    lower.set_xticklabels([f"{hours[i]['weekday']} {hours[i]['hour']:02d}h" for i in range(0, 168, 12)],
                          rotation=45, fontsize=8)
    for axis in (upper, lower):
        axis.grid(alpha=0.3)
        for day in range(1, 7):
            axis.axvline(day * 24 - 0.5, color="grey", linewidth=0.5)
    return _png(figure)

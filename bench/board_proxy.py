"""A labelled city message board from the public one's replies, to evaluate routing on.

``python -m bench.board_proxy ../shared/data/gov_replies.csv board.csv`` writes
``topic,detail,label`` rows, then ``python -m services.routing evaluate --history board.csv
--text-col topic --text-col detail --label-col label`` measures routing on it.

The public message board's messages (问政平台, 2017-2020) come without the department
that answered them, but many of the published replies name it ("经A市教育局调查核实",
"已转县交警大队"). Each reply's mentions of a field's units are counted, and a message is
labelled with the contest's first-level class of that field (城乡建设, 教育文体, ...: the seven
of the contest's labelled board) when one field is named at least twice as often as any other.
The label comes from who answered, never from the message's own words, so the model is
not measured on what it reads. Labels so made are noisy (a reply may name a unit it
forwards to, or a school in passing): figures on it are a floor, not a forecast. Prints
what it made; asserts nothing.
"""
import argparse
import csv
import sys
from collections import Counter

# Units named in replies, by the contest's first-level class of the requests they answer.
FIELDS = {
    "教育文体": ("教育局", "教育厅", "教育体育局", "文体", "文化旅游广电局", "体育局", "学校"),
    "城乡建设": ("住房和城乡建设", "住建局", "住建", "城乡规划局", "规划局", "自然资源和规划", "城市管理", "城管",
             "房产局", "住房保障", "不动产登记", "国土资源局", "物业管理"),
    "劳动和社会保障": ("人力资源和社会保障", "人社局", "人力资源社会保障", "社保", "医保局", "医疗保障", "劳动监察",
                "民政局", "退役军人"),
    "卫生计生": ("卫生健康委", "卫健委", "卫生计生", "卫生和计划生育", "疾控", "卫健局", "卫计局"),
    "交通运输": ("交通运输局", "交通局", "交警", "公安局交通", "运管", "公交集团", "轨道集团", "公路局", "交通运输厅"),
    "环境保护": ("生态环境局", "环境保护局", "环保局", "生态环境", "环境监察", "环保"),
    "商贸旅游": ("市场监督管理局", "市场监管", "商务局", "旅游局", "工商", "文化旅游", "食品药品监督", "物价局"),
}


def label(reply):
    """The class whose units the reply names clearly most, or ``None``."""
    named = Counter({field: sum(reply.count(unit) for unit in units) for field, units in FIELDS.items()})
    ranked = [(field, n) for field, n in named.most_common() if n]
    if not ranked or (len(ranked) > 1 and ranked[1][1] * 2 > ranked[0][1]):
        return None
    return ranked[0][0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("replies", help="gov_replies.csv: id,user,topic,detail,posted_at,reply,replied_at")
    parser.add_argument("out", help="the board to write: topic,detail,label")
    args = parser.parse_args(argv)
    with open(args.replies, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    made = [(r["topic"], r["detail"], label(r["reply"])) for r in rows]
    made = [row for row in made if row[2]]
    with open(args.out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["topic", "detail", "label"])
        writer.writerows(made)
    counts = Counter(row[2] for row in made)
    print(f"{len(made)} of {len(rows)} messages labelled from their replies, {len(counts)} classes: "
          + ", ".join(f"{field} {n}" for field, n in counts.most_common()), file=sys.stderr)


if __name__ == "__main__":
    main()

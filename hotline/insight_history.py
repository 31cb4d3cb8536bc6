"""A realistic generated history of requests, for the insight demo and tests.

Weeks of Chinese work orders across Qingdao's districts and the seed
catalogue's categories, arriving with the daily and weekly rhythm of each
channel (phone calls peak mid-morning and mid-afternoon on weekdays; WeChat
and the app also in the evening), a slow upward trend, handling times for
phone calls and the outcomes followup would report. The outcomes carry a
case mix for the monthly assessment: some categories are hard (the city solves
fewer of them), the housing bureau takes most of those and does on them as
well as the city, while the human-resources bureau does worse on every one of
its categories; a few cases are ruled unreasonable (不合理诉求) and a few late
sign-fors are taken back on appeal. Two things are planted for the reports to find: a burst water main in one district over the last
days (a spike), and a new problem -- electric bikes charged from wires run
out of windows and stairwells (飞线充电) -- spreading in the last week (an
emerging topic). Deterministic for a seed.
"""
import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

DISTRICTS = {  # district: (share of requests, roads)
    "市南区": (0.12, ["香港中路", "东海西路", "南京路", "湛山大道"]),
    "市北区": (0.16, ["台东一路", "辽宁路", "延吉路", "敦化路"]),
    "李沧区": (0.11, ["书院路", "京口路", "九水路", "振华路"]),
    "崂山区": (0.08, ["海尔路", "松岭路", "香港东路", "株洲路"]),
    "黄岛区": (0.17, ["长江中路", "井冈山路", "江山中路", "嘉陵江路"]),
    "城阳区": (0.11, ["正阳路", "春阳路", "长城路", "黑龙江中路"]),
    "即墨区": (0.09, ["鹤山路", "蓝鳌路", "烟青路"]),
    "胶州市": (0.07, ["福州路", "常州路", "扬州路"]),
    "平度市": (0.05, ["红旗路", "人民路", "胜利路"]),
    "莱西市": (0.04, ["烟台路", "威海路", "石岛路"]),
}
ESTATES = ["幸福家园", "阳光花园", "锦绣苑", "海景花园", "和谐家园", "金色港湾", "翠湖小区", "福泰苑"]

# category: (share, department, [(title, description)]), November in Qingdao
CATEGORIES = {
    "heating": (0.14, "ENERGY", [
        ("暖气不热", "{road}{estate}今年供暖以来暖气一直不热，室温只有十五度，家里有老人。"),
        ("供暖温度不达标", "{road}{estate}几栋楼供暖温度不达标，暖气片温乎，找热力公司没人管。"),
        ("暖气漏水", "{road}{estate}暖气管道阀门漏水，楼下邻居家天花板被泡。")]),
    "property-mgmt": (0.12, "HOUSING", [
        ("物业不作为", "{road}{estate}物业公司收费不办事，楼道卫生没人打扫，电梯经常坏。"),
        ("电梯故障", "{road}{estate}电梯三天坏了两次，困人，物业迟迟不修。"),
        ("物业费纠纷", "{road}{estate}物业擅自上涨物业费，没有业主大会表决。")]),
    "construction-noise": (0.06, "HOUSING", [
        ("夜间施工噪音扰民", "{road}附近工地每天晚上十一点以后还在施工，噪音很大，影响休息。"),
        ("工地凌晨施工", "{road}工地凌晨打桩，附近{estate}居民无法入睡。")]),
    "water-outage": (0.06, "WATER", [
        ("小区停水", "{road}{estate}突然停水，没有任何通知，不知道什么时候恢复。"),
        ("水压低", "{road}{estate}高层水压低，五楼以上用不上水。")]),
    "sanitation": (0.08, "URBAN_MGMT", [
        ("垃圾清运不及时", "{road}路边垃圾桶满了好几天没人清运，味道很大。"),
        ("建筑垃圾乱倒", "{road}{estate}门口有人乱倒建筑垃圾，堆成小山。")]),
    "street-vendor": (0.05, "URBAN_MGMT", [
        ("占道经营", "{road}每天晚上摊贩占道经营，行人只能走机动车道。")]),
    "road-damage": (0.05, "TRANSPORT", [
        ("路面坑洼", "{road}路面破损坑洼多处，雨天积水，电动车容易摔倒。"),
        ("井盖缺失", "{road}人行道井盖缺失，存在安全隐患。")]),
    "public-transport": (0.06, "TRANSPORT", [
        ("公交不按点", "{road}公交站的公交车经常不按时刻表发车，早高峰等四十分钟。"),
        ("出租车拒载", "在{road}打车，出租车司机拒载还态度恶劣。")]),
    "consumer": (0.08, "MARKET", [
        ("预付卡退款难", "{road}一家健身房突然关门，预付卡余额无法退款。"),
        ("商家拒绝退货", "在{road}商场买的衣服有质量问题，商家拒绝退货。")]),
    "food-safety": (0.04, "MARKET", [
        ("餐馆卫生差", "{road}一家餐馆后厨卫生差，吃完拉肚子。"),
        ("超市卖过期食品", "{road}超市货架上有过期食品还在销售。")]),
    "unpaid-wages": (0.06, "HRSS", [
        ("公司拖欠工资", "在{road}一家装修公司上班，老板拖欠工资三个月不发。"),
        ("农民工讨薪", "{road}工地拖欠农民工工资，包工头联系不上。")]),
    "social-insurance": (0.05, "HRSS", [
        ("社保断缴", "单位没有给缴纳社保，想咨询怎么补缴养老保险。"),
        ("养老金认证", "老人不会在手机上做养老金资格认证，想问线下在哪里办。")]),
    "school": (0.04, "EDUCATION", [
        ("入学学位紧张", "{road}{estate}的孩子明年上小学，划片学校说学位不够。"),
        ("校外培训退费", "{road}一家校外培训机构跑路，学费无法退还。")]),
    "pollution": (0.04, "ENVIRONMENT", [
        ("工厂排放异味", "{road}附近工厂晚上排放刺鼻异味，开窗就能闻到。"),
        ("扬尘污染", "{road}工地没有覆盖，扬尘很大。")]),
    "gas": (0.03, "ENERGY", [
        ("燃气表故障", "{road}{estate}燃气表显示异常，充值后仍然不能用气。")]),
    "illegal-building": (0.02, "URBAN_MGMT", [
        ("楼顶违章搭建", "{road}{estate}顶楼住户在楼顶违章搭建阳光房。")]),
    "safety-hazard": (0.02, "EMERGENCY_MGMT", [
        ("消防通道被占", "{road}{estate}消防通道被车辆长期占用，存在安全隐患。")]),
    "land-planning": (0.01, "NATURAL_RESOURCES", [
        ("不动产登记慢", "{road}{estate}交房三年还办不下不动产权证。")]),
}

CHANNELS = {  # channel: (share, relative volume by local hour 0..23)
    "phone": (0.55, [.15, .1, .08, .08, .1, .15, .3, .6, 1.3, 1.9, 2.0, 1.8, 1.2, 1.4, 1.8, 1.8,
                     1.6, 1.3, .9, .8, .7, .5, .35, .2]),
    "wechat": (0.20, [.3, .2, .1, .1, .1, .2, .4, .7, 1.0, 1.2, 1.2, 1.1, 1.2, 1.1, 1.1, 1.1,
                      1.1, 1.1, 1.2, 1.5, 1.6, 1.5, 1.0, .6]),
    "app": (0.10, [.3, .2, .1, .1, .1, .2, .4, .7, 1.0, 1.1, 1.1, 1.1, 1.2, 1.1, 1.1, 1.1,
                   1.1, 1.1, 1.3, 1.5, 1.6, 1.4, 1.0, .6]),
    "web": (0.15, [.2, .1, .1, .1, .1, .2, .4, .8, 1.3, 1.4, 1.4, 1.3, 1.0, 1.2, 1.3, 1.3,
                   1.2, 1.0, .9, .9, .9, .8, .6, .4]),
}
WEEKDAY_VOLUME = [1.15, 1.05, 1.05, 1.05, 1.0, 0.75, 0.7]
WEEKLY_GROWTH = 0.015

SPIKE = {"category": "water-outage", "district": "李沧区", "days": 3, "extra_per_day": 10,
         "texts": [("九水路水管爆裂停水", "{road}九水路一带自来水主管道爆裂，{estate}等几个小区全部停水。"),
                   ("停水一天了", "九水路爆管后{road}{estate}停水一整天，还没有恢复供水，也没有送水车。")]}
TOPIC = {"category": "safety-hazard", "days": 7, "extra_per_day": 12, "before_per_week": 2,
         "terms": ["飞线充电", "电动自行车"],
         "texts": [("电动自行车飞线充电", "{road}{estate}有居民从楼上窗户往下飞线充电，给电动自行车充电，电线垂在路边，很危险。"),
                   ("楼道里给电动自行车充电", "{road}{estate}楼道里停满电动自行车，有人私拉电线飞线充电，担心起火。"),
                   ("飞线充电火灾隐患", "{road}{estate}电动自行车飞线充电现象严重，存在火灾隐患，物业劝阻无效。")]}


def _weights(table):
    keys = list(table)
    shares = np.array([table[k][0] for k in keys], float)
    return keys, shares / shares.sum()


def generate(weeks=6, now=None, seed=8, daily_volume=400, zone="Asia/Shanghai", prefix="QD",
             plant=True):
    """``(records, planted)``: weeks of requests up to ``now`` (UTC), and
    what was planted in them."""
    tz = ZoneInfo(zone)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(tz)
    today = now.date()
    first_day = today - dt.timedelta(days=today.weekday() + 7 * weeks)
    rng = np.random.default_rng(seed)
    extra = np.random.default_rng(seed + 1000)  # the assessment's details: the history itself is unchanged
    categories, category_p = _weights(CATEGORIES)
    districts, district_p = _weights(DISTRICTS)
    spike_from = today - dt.timedelta(days=SPIKE["days"])
    topic_from = today - dt.timedelta(days=TOPIC["days"] - 1)
    records, sequence = [], {}

    def add(moment, channel, category, district, text):
        road = DISTRICTS[district][1][rng.integers(len(DISTRICTS[district][1]))]
        estate = ESTATES[rng.integers(len(ESTATES))]
        day = moment.date()
        sequence[day] = sequence.get(day, 0) + 1
        record = {"number": f"{prefix}-{day:%Y%m%d}-H{sequence[day]:05d}",
                  "title": text[0], "description": text[1].format(road=road, estate=estate),
                  "category": category, "district": district, "channel": channel,
                  "urgency": "normal", "received_at": moment.astimezone(dt.UTC).isoformat(),
                  "department_code": CATEGORIES[category][1]}
        if channel == "phone":
            record["handling_seconds"] = round(float(rng.gamma(4.0, 67.0)), 1)
        if extra.random() < DISTRICT_SHARE:  # handled by the district's government (属地)
            record["department_code"] = DISTRICT_UNITS[district]
        if now - moment > dt.timedelta(days=6):
            record["outcome"] = _outcome(rng, record["department_code"], category, extra)
        records.append(record)

    day = first_day
    while day <= today:
        week_index = (day - first_day).days // 7
        volume = daily_volume * WEEKDAY_VOLUME[day.weekday()] * (1 + WEEKLY_GROWTH) ** week_index
        for channel, (share, profile) in CHANNELS.items():
            profile = np.array(profile) / np.sum(profile)
            for hour, count in enumerate(rng.poisson(volume * share * profile)):
                for _ in range(count):
                    moment = dt.datetime.combine(day, dt.time(hour, int(rng.integers(60)),
                                                              int(rng.integers(60))), tzinfo=tz)
                    if moment > now:
                        continue
                    category = categories[rng.choice(len(categories), p=category_p)]
                    district = districts[rng.choice(len(districts), p=district_p)]
                    texts = CATEGORIES[category][2]
                    add(moment, channel, category, district, texts[rng.integers(len(texts))])
        if plant:
            _plant(day, now, tz, rng, add, spike_from, topic_from, districts, district_p)
        day += dt.timedelta(days=1)
    records.sort(key=lambda r: r["received_at"])
    planted = {"spike": {"category": SPIKE["category"], "district": SPIKE["district"],
                         "since": spike_from.isoformat()},
               "topic": {"terms": TOPIC["terms"], "since": topic_from.isoformat()}} if plant else {}
    return records, planted


def _moment(day, rng, tz):
    return dt.datetime.combine(day, dt.time(int(rng.integers(7, 22)), int(rng.integers(60))), tzinfo=tz)


def _plant(day, now, tz, rng, add, spike_from, topic_from, districts, district_p):
    if day >= spike_from:
        for _ in range(rng.poisson(SPIKE["extra_per_day"])):
            moment = _moment(day, rng, tz)
            if moment <= now:
                text = SPIKE["texts"][rng.integers(len(SPIKE["texts"]))]
                add(moment, "phone", SPIKE["category"], SPIKE["district"], text)
    per_day = TOPIC["extra_per_day"] if day >= topic_from else TOPIC["before_per_week"] / 7
    for _ in range(rng.poisson(per_day)):
        moment = _moment(day, rng, tz)
        if moment <= now:
            district = districts[rng.choice(len(districts), p=district_p)]
            channel = ("phone", "wechat", "app")[rng.integers(3)]
            add(moment, channel, TOPIC["category"], district, TOPIC["texts"][rng.integers(len(TOPIC["texts"]))])


# How hard each category is (the probability the city solves one), and how much better or
# worse than that a department does on every category it handles (the case mix of the
# assessment: HOUSING takes the hardest ones and does as the city does; HRSS is worse).
SOLVED = {"property-mgmt": 0.55, "construction-noise": 0.6, "illegal-building": 0.55, "heating": 0.8,
          "unpaid-wages": 0.7, "land-planning": 0.6, "water-outage": 0.93, "road-damage": 0.9,
          "public-transport": 0.88, "school": 0.9, "safety-hazard": 0.9}
DEPARTMENT_EFFECT = {"HRSS": -0.15, "TRANSPORT": 0.04, "D-SHINAN": 0.05, "D-LAIXI": -0.08}
# A share of every category goes to the district's own government (属地), so each bureau
# shares its categories and districts with others: what the case-mix adjustment compares.
DISTRICT_SHARE = 0.35
DISTRICT_UNITS = {"市南区": "D-SHINAN", "市北区": "D-SHIBEI", "李沧区": "D-LICANG", "崂山区": "D-LAOSHAN",
                  "黄岛区": "D-HUANGDAO", "城阳区": "D-CHENGYANG", "即墨区": "D-JIMO", "胶州市": "D-JIAOZHOU",
                  "平度市": "D-PINGDU", "莱西市": "D-LAIXI"}


def resolution_probability(department, category):
    return min(max(SOLVED.get(category, 0.85) + DEPARTMENT_EFFECT.get(department, 0.0), 0.05), 0.99)


def _outcome(rng, department, category, extra):
    reached = rng.random() < 0.92
    resolved = bool(rng.random() < resolution_probability(department, category)) if reached else None
    satisfaction = None
    if reached:
        odds = (0.86, 0.11) if resolved else (0.15, 0.3)
        roll = rng.random()
        satisfaction = "satisfied" if roll < odds[0] else \
            "basically_satisfied" if roll < odds[0] + odds[1] else "dissatisfied"
    outcome = {"signed_for": bool(rng.random() < 0.97), "rejections": int(rng.poisson(0.15)),
               "reached": bool(reached), "resolved": resolved, "satisfaction": satisfaction,
               "closed": True}
    late = 0.05 + 0.1 * (department == "HRSS")
    outcome.update(signed_late=bool(extra.random() < late), replied=True,
                   replied_late=bool(extra.random() < late + 0.03),
                   reopened=int(bool(reached and not resolved and extra.random() < 0.5)))
    if extra.random() < 0.01:
        outcome["closed_as"] = "unreasonable"
    if outcome["signed_late"] and extra.random() < 0.2:
        outcome["appeals_accepted"] = ["late_sign_for"]
    return outcome

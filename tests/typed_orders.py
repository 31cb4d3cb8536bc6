"""Work orders with the request type an operator gave them, written for the tests.

Short 12345 work orders in the operators' style (DOMAIN.md), where the type often is
not in the words the rules look for: a complaint says 不作为 or 要求查处 rather than 投诉,
a suggestion says 希望增设 rather than 建议, a report names a wrong (无证经营, 偷排) rather
than 举报. Some do say the rules' words, as real ones do. Deterministic for a seed.
"""
import random

PLACES = ["市南区香港中路", "市北区辽宁路", "李沧区书院路", "崂山区海尔路", "黄岛区长江中路", "城阳区正阳路"]
OPENINGS = ["市民来电反映：", "来电人称，", "网民留言：", "市民来电：", ""]

TEMPLATES = {
    "complaint": [
        "{place}小区物业不作为，楼道杂物堆了一个月没人管，要求{demand}",
        "{place}的办事窗口工作人员态度恶劣，推诿扯皮，要求{demand}",
        "{place}工地夜间施工扰民，多次反映无人处理，要求{demand}",
        "{place}一家饭店油烟直排，找过城管也不管，要求{demand}",
        "公交司机在{place}站不停车，态度很差，要求{demand}",
        "{place}医院乱收检查费，要求{demand}",
        "投诉{place}供热公司暖气不热还照常收费，要求{demand}",
    ],
    "help": [
        "{place}路灯不亮，晚上很黑，希望尽快维修",
        "{place}小区停水了，家里有老人，请帮忙协调尽快恢复供水",
        "{place}下水道堵塞，污水冒到路面，请派人疏通",
        "{place}人行道井盖缺失，很危险，请尽快补上",
        "家住{place}，老人走失了，请帮忙寻找",
        "{place}树枝折断挂在电线上，请尽快处理",
        "{place}暖气漏水，家中无人会修，请求帮助",
    ],
    "consultation": [
        "想了解一下在{place}办理居住证需要什么材料",
        "请问{place}的社保卡丢了怎么补办",
        "孩子明年上小学，想知道{place}学区的划分",
        "咨询{place}公租房的申请条件",
        "想问问失业金在{place}哪里可以申领，要带哪些证件",
        "老人八十岁了，高龄补贴需要到{place}哪个部门申请",
        "新生儿落户在{place}要准备什么手续",
    ],
    "suggestion": [
        "希望在{place}增设一个公交站，附近居民出行不方便",
        "{place}路口车流量大，建议加装红绿灯",
        "希望在{place}多设几个垃圾分类投放点",
        "{place}附近没有公共厕所，希望能建一个",
        "希望{place}的公园延长开放时间，方便上班族晚上锻炼",
        "{place}学校门口接送孩子拥堵，希望增加错峰放学",
    ],
    "report": [
        "{place}有一家诊所无证行医，请相关部门查处",
        "{place}附近工厂夜里偷排废水，河水发黑",
        "举报{place}某公司非法集资，很多老人被骗",
        "{place}有人私自开设赌场，晚上人来人往",
        "{place}一家超市销售过期食品",
        "{place}有黑车长期非法营运",
    ],
    "praise": [
        "感谢{place}社区工作人员帮忙找回走失的老人",
        "{place}派出所民警热心帮助，特此表扬",
        "{place}环卫工人拾金不昧，应当表彰",
        "{place}供电所抢修及时，为他们点赞",
    ],
}
DEMANDS = ["查处", "给个说法", "追究责任", "整改", "严肃处理"]
SHARES = {"complaint": 30, "help": 30, "consultation": 20, "suggestion": 8, "report": 8, "praise": 4}


def typed_orders(count=300, seed=0):
    """``[(title, description, request_type)]``: the title the operator's summary, the
    description the call as written down."""
    rng = random.Random(seed)
    kinds = rng.choices(list(SHARES), weights=list(SHARES.values()), k=count)
    rows = []
    for kind in kinds:
        text = rng.choice(TEMPLATES[kind]).format(place=rng.choice(PLACES), demand=rng.choice(DEMANDS))
        title = text.split("，")[0][:20]
        rows.append((title, rng.choice(OPENINGS) + text, kind))
    return rows

"""A small synthetic dispatch history of Chinese work orders, for tests and demos.

Real 12345 history is not public; these are short work orders in the style
operators write them (市民来电反映……，诉求……), across the seed city's
departments. Some problems overlap on purpose (noise from a building site
is housing's, from a neighbour the police's; smells from a restaurant are
urban management's, from a factory environment's), so a model has to read
more than one word. Deterministic for a given seed.
"""
import random

PLACES = ["市南区香港中路", "市北区辽宁路", "李沧区书院路", "崂山区海尔路", "黄岛区长江中路",
          "城阳区正阳路", "即墨区鹤山路", "胶州市澳门路", "平度市红旗路", "莱西市烟台路",
          "市北区延吉路", "市南区燕儿岛路"]
PLACE_KINDS = ["小区", "一带", "附近", "路口", "的老旧小区", "某大厦"]
OPENINGS = ["市民来电反映：", "来电人反映，", "市民通过微信反映：", "网民留言：", ""]
DURATIONS = ["已经三天了", "持续一周", "从上个月开始", "反复出现", "多次反映未解决", "今天早上发现"]
DEMANDS = ["希望尽快处理", "请相关部门核实处理", "诉求尽快解决", "希望给个说法", "要求有关部门查处", "请予以答复"]

PROBLEMS = {
    "HOUSING": ["物业不作为，楼道堆满杂物没人清理", "电梯经常故障困人，物业拖着不修", "楼顶漏水，墙皮脱落",
                "工地夜间施工噪音扰民，十一点以后还在打桩", "维修基金申请不下来，外墙保温层脱落",
                "公租房分配不公开，排号一直不动", "开发商延期交房，房产证迟迟办不下来"],
    "URBAN_MGMT": ["路边有流动摊贩占道经营，行人只能走机动车道", "楼下饭店油烟直排，熏得没法开窗",
                   "有人在楼顶违章搭建彩钢房", "垃圾桶满了好几天没人清运，臭气熏天", "路灯不亮，晚上很黑不安全",
                   "人行道井盖缺失，很危险", "户外广告牌松动，担心掉下来砸人"],
    "WATER": ["小区突然停水，没有任何通知", "路边自来水管爆管，水漫到马路上", "家里水压太低，高层用不上水",
              "自来水发黄有异味，不敢喝", "下水道堵塞，污水冒到路面", "一下雨路口就积水，排水不畅"],
    "ENERGY": ["暖气不热，室温只有十四度", "供暖开始以来家里暖气一直是凉的", "燃气表不走字，燃气公司不给处理",
               "楼道里有煤气味，怀疑天然气泄漏", "小区频繁停电，冰箱里的东西都坏了", "供热公司收费不合理"],
    "ENVIRONMENT": ["附近工厂晚上偷排废气，气味刺鼻", "河道被排污，河水发黑发臭", "搅拌站粉尘很大，窗台一层灰",
                    "化工厂有刺激性异味，晚上更严重", "有企业往河里倾倒废渣"],
    "TRANSPORT": ["公交车到站不停，司机态度恶劣", "出租车拒载，还绕路多收钱", "网约车司机中途甩客",
                  "公交站牌信息错误，线路早就改了", "道路破损坑洼很多，电动车容易摔倒", "地铁站出口指示不清"],
    "HRSS": ["公司拖欠工资三个月不发", "老板欠薪跑路，几十个工人讨不到钱", "单位不给缴纳社保",
             "养老保险转移手续办不下来", "公司不签劳动合同就辞退员工", "失业金申请一直没有到账"],
    "EDUCATION": ["孩子入学学位不够，被分到很远的学校", "校外培训机构收了学费跑路", "学校违规补课收费",
                  "幼儿园乱收费，还没有发票", "老师体罚学生", "校车超载，担心孩子安全"],
    "HEALTH": ["医院挂号难，号贩子倒号", "医生态度差，看病排队一上午", "诊所无证行医", "社区医院疫苗断货，孩子打不上",
               "医院乱收检查费"],
    "MARKET": ["超市卖过期食品，商家拒绝退款", "饭店食品安全有问题，吃完拉肚子", "健身房预付卡老板跑路",
               "网购商家卖假货不给退", "菜市场缺斤短两", "商家明码标价和实际收费不一致"],
    "PUBLIC_SECURITY": ["楼上邻居半夜噪音很大，敲门也不理", "小区门口乱停车，消防车进不来", "电动车被盗，报案后没有消息",
                        "身份证补办要跑好几次", "孩子落户口手续说不清楚", "居住证办理进度查不到"],
    "CIVIL_AFFAIRS": ["家里困难申请低保被拒，不知道原因", "养老院护理差，老人身上有伤", "残疾人补贴没有按时发放",
                      "婚姻登记预约不上", "殡葬服务收费太高"],
    "CULTURE_TOURISM": ["景区门票乱涨价", "旅行社强制购物，导游态度恶劣", "酒店实际房间和网上宣传不符",
                        "网吧接纳未成年人上网", "演出临时取消不退票"],
    "NATURAL_RESOURCES": ["有人占用耕地建厂房", "不动产登记办理时间太长", "开山采石破坏山体",
                          "小区规划变更，楼间距不够", "海边有人非法占用海域养殖"],
    "EMERGENCY_MGMT": ["小区消防通道被堵死，存在火灾隐患", "附近仓库存放危险化学品，没有任何防护",
                       "工厂安全生产措施不到位，工人受伤", "加油站旁边有人违规储存汽油"],
    "AGRICULTURE": ["买到假种子，庄稼不出苗", "化肥质量有问题，地里减产", "村里养殖场粪污乱排",
                    "宅基地审批手续复杂", "农药残留超标的蔬菜在卖"],
    "OCEAN_FISHERY": ["海水浴场救生员不足", "休渔期还有渔船出海捕捞", "海滩上垃圾很多没人清理", "赶海时被收费"],
    "COMMERCE": ["农贸市场环境脏乱差", "二手车交易市场收费不透明", "商场停车收费太贵", "超市促销活动不兑现"],
    "HOUSING_FUND": ["提取公积金被拒，材料都齐了", "公积金贷款审批太慢", "单位不给缴存住房公积金",
                     "公积金账户转移办不了"],
    "MEDICAL_INSURANCE": ["医保报销比例和说的不一样", "异地就医备案办不了", "医保卡被别人冒用",
                          "住院费用医保结算不了"],
    "GARDENS": ["公园里的树木倒伏，压坏了车", "绿化带的树枝挡住路灯，需要修剪", "公园健身器材损坏",
                "山林里有人乱砍树木"],
    "DATA_BUREAU": ["爱山东APP登录不上，办不了业务", "网上办事系统总是提示错误", "政务服务大厅窗口人太少排长队",
                    "电子证照下载不了"],
    "VETERANS": ["退役军人优抚金没有发放", "军属优待政策落实不到位", "复员军人安置问题多年未解决"],
}


def generate(per_department=30, seed=7, departments=None):
    """``[(text, department code)]``: ``per_department`` work orders for each department."""
    rng = random.Random(seed)
    rows = []
    for code in departments or PROBLEMS:
        for _ in range(per_department):
            place = rng.choice(PLACES) + rng.choice(PLACE_KINDS)
            problem = rng.choice(PROBLEMS[code])
            parts = [f"{rng.choice(OPENINGS)}{place}{problem}", rng.choice(DURATIONS), rng.choice(DEMANDS)]
            if rng.random() < 0.3:
                parts.pop(1)
            rows.append(("，".join(parts) + "。", code))
    rng.shuffle(rows)
    return rows

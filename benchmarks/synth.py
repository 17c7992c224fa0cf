"""Synthetic knowledge bases for the scale benchmark: plausible government-service FAQs from templates.

Every synthetic service item is `<place><matter><action>` (e.g. 薛家岛街道药品经营许可证变更) with one FAQ per
aspect (materials, steps, fees, ...), so texts are distinct and sound like real questions. Generation is
deterministic and nested: the first N FAQs are the same for every scale, so vectors encoded for 100k serve
1k and 10k too. The demo base's own license names are left out on purpose: a synthetic item that duplicates a
real one would be a correct answer counted as wrong; related names (食品生产许可证, 药品经营许可证) stay in as
near-miss distractors.

Synthetic FAQs have one indexed text each (their question): they are built with `Faq.model_construct`,
skipping the schema's "at least 5 variants" rule, so that N FAQs cost about N vectors (plus each item's name
and summary on its overview FAQ).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from functools import lru_cache

from knowledge.loader import KnowledgeBase
from knowledge.models import Faq, FaqTopic, ServiceItem, Source, SourceKind, TimeLimit, Where

FAQS_PER_ITEM = 20
ID_PREFIX = "synth-"

PLACES = (
    "西海岸新区", "黄岛区", "市南区", "市北区", "李沧区", "崂山区", "城阳区", "即墨区", "胶州市", "平度市",
    "莱西市", "辛安街道", "薛家岛街道", "灵山卫街道", "隐珠街道", "珠海街道", "长江路街道", "黄岛街道", "红石崖街道",
    "王台镇", "张家楼街道", "琅琊镇", "泊里镇", "大场镇", "海青镇", "宝山镇", "藏南镇", "六汪镇", "大村镇",
    "铁山街道", "胶南街道", "滨海街道", "灵珠山街道", "中德生态园", "董家口经济区", "古镇口", "前湾港区",
    "保税港区", "胶河经济区", "积米崖",
)

# (matter, department)
MATTERS = (
    ("道路运输经营许可证", "交通运输局"), ("建筑工程施工许可证", "住房和城乡建设局"), ("城镇污水排入排水管网许可证", "水务管理局"),
    ("烟草专卖零售许可证", "烟草专卖局"), ("药品经营许可证", "市场监督管理局"), ("第二类医疗器械经营备案凭证", "市场监督管理局"),
    ("危险化学品经营许可证", "应急管理局"), ("娱乐场所经营许可证", "文化和旅游局"), ("营业性演出许可证", "文化和旅游局"),
    ("网络文化经营许可证", "文化和旅游局"), ("民办学校办学许可证", "教育和体育局"), ("人力资源服务许可证", "人力资源和社会保障局"),
    ("旅行社业务经营许可证", "文化和旅游局"), ("公共场所卫生许可证", "卫生健康局"), ("供水单位卫生许可证", "卫生健康局"),
    ("放射诊疗许可证", "卫生健康局"), ("建设工程规划许可证", "自然资源局"), ("建设用地规划许可证", "自然资源局"),
    ("建筑垃圾处置核准", "城市管理局"), ("城市道路挖掘审批", "城市管理局"), ("户外广告设施设置审批", "城市管理局"),
    ("临时占用绿地审批", "园林和林业局"), ("特种设备使用登记证", "市场监督管理局"), ("机动车维修经营备案", "交通运输局"),
    ("网约车运输证", "交通运输局"), ("国内水路运输经营许可证", "交通运输局"), ("港口经营许可证", "交通运输局"),
    ("取水许可证", "水务管理局"), ("林木采伐许可证", "园林和林业局"), ("农作物种子生产经营许可证", "农业农村局"),
    ("兽药经营许可证", "农业农村局"), ("农药经营许可证", "农业农村局"), ("动物防疫条件合格证", "农业农村局"),
    ("食品生产许可证", "市场监督管理局"), ("食品小作坊登记证", "市场监督管理局"), ("社会团体登记证书", "民政局"),
    ("民办非企业单位登记证书", "民政局"), ("养老机构备案", "民政局"), ("残疾人证", "残疾人联合会"),
    ("居住证", "公安分局"), ("失业保险金申领", "人力资源和社会保障局"), ("职业技能等级证书", "人力资源和社会保障局"),
    ("社会保障卡", "人力资源和社会保障局"), ("异地就医备案", "医疗保障局"), ("住房公积金提取", "住房公积金管理中心"),
    ("不动产权证书", "自然资源局"), ("个体工商户营业执照", "行政审批服务局"), ("企业名称登记", "行政审批服务局"),
    ("股权出质登记", "市场监督管理局"), ("对外贸易经营者备案", "商务局"), ("施工图审查合格书", "住房和城乡建设局"),
    ("消防验收备案", "住房和城乡建设局"), ("人防工程建设审批", "人民防空办公室"), ("排污许可证", "生态环境分局"),
    ("辐射安全许可证", "生态环境分局"), ("医师执业证书", "卫生健康局"), ("护士执业证书", "卫生健康局"),
    ("母婴保健技术服务执业许可证", "卫生健康局"), ("校车使用许可", "教育和体育局"), ("拖拉机驾驶证", "农业农村局"),
)

ACTIONS = ("新办", "变更", "延续", "注销", "补领", "换发", "备案", "迁移", "年度报告", "撤回申请")

SUBJECTS = ("个体工商户", "小微企业", "外资企业", "农民专业合作社", "事业单位", "社会组织", "个人", "外地来青人员")

# (topic, phrasings); {p}=place {m}=matter {a}=action {s}=subject
ASPECTS: tuple[tuple[FaqTopic, tuple[str, ...]], ...] = (
    (FaqTopic.OVERVIEW, ("{p}{m}{a}是什么业务", "{m}{a}是怎么回事，{p}能办吗", "请介绍一下{p}的{m}{a}")),
    (FaqTopic.CONDITIONS, ("{p}{m}{a}需要满足什么条件", "什么情况下可以在{p}申请{m}{a}", "{s}能不能在{p}办{m}{a}")),
    (FaqTopic.MATERIALS, ("{p}办理{m}{a}需要哪些材料", "{m}{a}要带什么资料，{p}窗口收吗", "在{p}申请{m}{a}要准备哪些证明")),
    (FaqTopic.STEPS, ("{p}{m}{a}的办理流程是什么", "{m}{a}在{p}分几步办", "{p}的{s}{m}{a}怎么申请")),
    (FaqTopic.TIME_LIMIT, ("{p}{m}{a}多久能办好", "{m}{a}在{p}要几个工作日", "{p}{m}{a}承诺时限是多少天")),
    (FaqTopic.FEES, ("{p}{m}{a}收费吗", "在{p}办{m}{a}要交多少钱", "{m}{a}的收费标准是什么（{p}）")),
    (FaqTopic.WHERE, ("{p}{m}{a}在哪个窗口办", "去哪里办{p}的{m}{a}", "{m}{a}在{p}政务大厅几楼")),
    (FaqTopic.ONLINE, ("{p}{m}{a}能网上办吗", "{m}{a}可以在{p}的爱山东APP上申请吗", "{p}{m}{a}网上办理入口在哪")),
    (FaqTopic.OTHER, ("{p}{m}{a}需要本人到场吗", "{m}{a}在{p}可以不见面办理吗", "{p}办{m}{a}法人必须亲自去吗")),
    (FaqTopic.OTHER, ("{p}{m}{a}可以委托别人代办吗", "{m}{a}委托代理人去{p}办要带什么", "{p}{s}{m}{a}能找人代办吗")),
    (FaqTopic.RESULT, ("{p}{m}{a}后证件有效期多久", "{m}{a}办下来在{p}管几年", "{p}{m}{a}到期前多久要续")),
    (FaqTopic.RESULT, ("{p}{m}{a}办结后怎么领证", "{m}{a}的结果在{p}可以邮寄吗", "{p}{m}{a}办完多久能拿到电子证照")),
    (FaqTopic.WHERE, ("{p}{m}{a}窗口几点上班", "周末能去{p}办{m}{a}吗", "{p}{m}{a}午休时间能办吗")),
    (FaqTopic.OTHER, ("{p}{m}{a}咨询电话是多少", "{m}{a}有问题打{p}哪个电话", "{p}{m}{a}怎么联系经办人")),
    (FaqTopic.STEPS, ("{p}{m}{a}需要提前预约吗", "{m}{a}在{p}怎么预约取号", "{p}{m}{a}可以现场取号吗")),
    (FaqTopic.TIME_LIMIT, ("{p}{m}{a}能加急吗", "{m}{a}着急用，{p}能当天办结吗", "{p}{m}{a}有没有绿色通道")),
    (FaqTopic.MATERIALS, ("{p}{m}{a}材料要原件还是复印件", "{m}{a}的复印件要盖章吗（{p}）", "{p}{m}{a}电子材料可以代替纸质吗")),
    (FaqTopic.CONDITIONS, ("外地企业能在{p}办{m}{a}吗", "{m}{a}可以在{p}跨区通办吗", "户籍不在{p}的{s}能申请{m}{a}吗")),
    (FaqTopic.POLICY, ("{p}{m}{a}的法律依据是什么", "{m}{a}依据哪个条例（{p}）", "{p}{m}{a}有什么政策文件")),
    (FaqTopic.OTHER, ("{p}{m}{a}办理进度怎么查", "{m}{a}提交后在{p}哪里看审批结果", "{p}{m}{a}被退件了怎么办")),
)
assert len(ASPECTS) == FAQS_PER_ITEM

_SOURCE = Source(kind=SourceKind.EXAMPLE)
_DAY = dt.date(2024, 1, 1)


@lru_cache(maxsize=1)
def _combos() -> list[tuple[int, int, int]]:
    combos = list(itertools.product(range(len(PLACES)), range(len(MATTERS)), range(len(ACTIONS))))
    random.Random(20240601).shuffle(combos)
    return combos


def max_faqs() -> int:
    """The largest number of synthetic FAQs the templates can make."""
    return len(_combos()) * FAQS_PER_ITEM


def _item(j: int, n_faqs: int) -> ServiceItem:
    pi, mi, ai = _combos()[j]
    place, (matter, dept), action = PLACES[pi], MATTERS[mi], ACTIONS[ai]
    subject = SUBJECTS[j % len(SUBJECTS)]
    sid = f"{ID_PREFIX}{j:05d}"
    name = f"{place}{matter}{action}"
    faqs = []
    for k in range(n_faqs):
        topic, phrasings = ASPECTS[k]
        q = phrasings[(j + k) % len(phrasings)].format(p=place, m=matter, a=action, s=subject)
        faqs.append(
            Faq.model_construct(
                id=f"{sid}/q{k:02d}", question=q, variants=[], answer=f"{name}：{q}（合成测试数据，非真实答复）",
                topic=topic, source=_SOURCE,
            )
        )
    return ServiceItem(
        id=sid, name=name, department=f"青岛西海岸新区{dept}",
        summary=f"{place}{dept}为{subject}办理{matter}{action}业务（合成测试数据）",
        applicable_to=subject, time_limit=TimeLimit(promised_days=1 + j % 10), fees="不收费",
        where=Where(zone=f"{place}便民服务中心", window=f"{j % 40 + 1}号窗口"), hours="工作日 9:00-12:00, 13:30-17:00",
        phone=f"0532-8{j % 10_000_000:07d}", faqs=faqs,
        sources={g: _SOURCE for g in ("summary", "materials", "steps", "time_limit", "where")},
        updated_at=_DAY, effective_from=_DAY,
    )


def synthetic_items(n_faqs: int) -> dict[str, ServiceItem]:
    """Synthetic service items holding exactly `n_faqs` FAQs (deterministic, nested across sizes)."""
    if n_faqs > max_faqs():
        raise ValueError(f"at most {max_faqs()} synthetic FAQs")
    items: dict[str, ServiceItem] = {}
    j = 0
    left = n_faqs
    while left > 0:
        take = min(FAQS_PER_ITEM, left)
        item = _item(j, take)
        items[item.id] = item
        left -= take
        j += 1
    return items


def mixed_kb(real: KnowledgeBase, n_faqs: int) -> KnowledgeBase:
    """The real knowledge base plus `n_faqs` synthetic FAQs."""
    synth = synthetic_items(n_faqs)
    clash = set(synth) & set(real.items)
    if clash:
        raise ValueError(f"synthetic ids clash with real ones: {sorted(clash)[:3]}")
    return KnowledgeBase(items={**real.items, **synth}, skipped=real.skipped)


def is_synthetic(service_id: str) -> bool:
    """True for the ids this module makes."""
    return service_id.startswith(ID_PREFIX)

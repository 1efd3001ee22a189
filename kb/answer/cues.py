"""Question cues: the wordings that say what a question asks. They select the answering
mechanism, never an answer. The question parser (question.py) is their only reader."""
from __future__ import annotations

import re

# (牵头的是谁; 是人社局管还是教体局管: which of the two answers for it)
WHO = re.compile(r"由哪些|哪(?:些|[几两三四五六七八九十\d]*个|家)?(?:单位|部门)|谁负责|谁来|由谁|责任单位|负责单位|牵头单位|归谁|谁管|谁牵头|谁抓"
                 r"|牵头的?(?:是|为)?(?:谁|哪)|(?:管|负责|牵头|主抓)还是|还是[^，,。？?]{1,12}(?:管|负责|牵头)(?:的|呢)?[？?]?$")
# 几 that asks a number: not 哪几 (a list), nor 我们几个股东, 好几年, 十几个人, 几十 (a story's rough count)
ASKED_JI = r"(?<![哪们好十])几(?![十百千])"
# a stretch of a message that asks something
ASKING = re.compile(r"什么|哪|多少|" + ASKED_JI + r"|吗|谁|怎么|如何|是否|呢|[？?]|啥")
TASKS = re.compile(r"负责|任务|要做|做什么|干什么|干啥|职责|承担|(哪些|什么|哪项|哪几项)工作|工作(有|是)(哪些|什么)|参与|做哪些|管什么|有哪些事|事项|分工")
MENTION = re.compile(r"涉及|提到|提及|出现|点名|相关")
META = {
    "doc_number": re.compile(r"文号|发文字号|字号|文件号"),
    "written_date": re.compile(r"成文|印发日期|印发时间|什么时候印发|何时印发|哪天印发|签发|哪天出台|什么时候出台|何时出台|制定日期|落款"),
    "published_date": re.compile(r"发布日期|发布时间|公开日期|(?:什么时候|啥时候|何时|哪天|哪一天)[^，,。？?]{0,6}(?:发布|公开|挂网|上网)|上网"),
    "issuer": re.compile(r"(发布|印发|发文|制定)(机构|机关|单位|部门)|(哪个|什么|哪一?个?|哪家)(单位|部门|机关|机构)(发布|印发|制定|出台|发的)|谁(印发|发布|发的|制定|出台)|由谁印发"),
    "addressees": re.compile(r"印发给|发给哪些|下发给|主送"),
    "effective": re.compile(r"(什么时候|啥时候|何时|哪天|哪一天|几时|从哪天|自何时)(开始|起)?(施行|生效|实施)|施行(日期|时间)|生效(日期|时间)"),
    "implements": re.compile(r"(贯彻|落实|依据|根据|实施)[^，。]*(哪个|什么|哪份|哪一个)[^，。]*(文件|方案|通知)|(依据|根据|落实|贯彻)的[^，。]*(文件|方案|通知)|上位文件|省级文件|省级方案|哪个省|省里"),
    "title": re.compile(r"标题|文件名称|全称|文件名|叫什么|(哪个|什么|哪份|哪一个)(方案|文件)"),
    # the other labelled facts of a government site's page (索引号:…  | 公开目录:…)
    "page_field": re.compile(r"索引号|公开目录|主题词|信息分类|所属主题|主题分类|体裁分类|有效性"),
    "publicity": re.compile(r"是否公开|公开吗|公开发布吗|能否公开|能不能公开|可以公开|公开属性|公开方式|是不是公开|公不公开"),
    # a law's history, stated in its 题注: 通过, 修正, 修订, 公布
    "history": re.compile(r"(修订|修正|修改|通过|公布|审议)[^，,。？?]{0,4}(会议|哪天|哪一天|什么时候|何时|日期|时间|几次|哪年|哪一年|第几号|几号令|令)"
                          r"|(什么时候|何时|哪年|哪一年|哪天|哪一天)[^，,。？?]{0,3}(修订|修正|修改|通过|公布|审议)"
                          r"|(哪次|什么|哪一次)会议|(修改|修订|修正)(过)?几次|几次(修改|修订|修正)|(历次|最近一次|上一次)(修改|修订|修正)"),
}
NUMBER = re.compile(r"多少|" + ASKED_JI + r"(?:个|所|项|家|万|成|名|人|天|日|年|次|小时|周|月|岁|倍|元|学时|课时)|比例|百分之|%|数量|规模|多大|比重|占比|不低于|不少于|不超过")
WHEN = re.compile(r"什么时候|何时|哪一年|哪年|几年|截至|期限|时限|到什么时候|多长时间|多久|时间节点|哪一?天|年底|(?<=[年月日今明])起|从[^，,。？?]{1,10}起")
LIST = re.compile(r"(?:分为|分成|分|是指|指)?哪(?:几|[一二三四五六七八九十两\d]+)(?:个|种|类|项|条|所|家)?(?:方面|大块|块|部分|点)?|哪些|哪几|几种|几类|哪[一二三四五六七八九十两\d]+[个所项家条类种]|包括|分别|指谁|指哪|是谁|有哪|都有|名单|列举|是什么|指什么|什么意思|含义|内容")
COMPARE = re.compile(r"变化|区别|不同|不一样|一样吗|相同吗|相比|对比|新旧|修订前后|修改前后|改了什么|修改了什么|有何变化|差异"
                     r"|有没有变|变没变|变了吗|改了吗|改没改|有没有改|也是这么|也是这样|也这么"
                     r"|比(?:老|旧|原|以前的?|修订前的?)版|新版[^？?]*(?:老|旧)版|(?:老|旧)版[^？?]*新版")
FOLLOWUP = re.compile(r"^(那|那么|那它|它|其|该|这|此|还有|另外|然后)|[它其该此这]|呢[？?]?$")
# what has actually happened (实际培训了多少人, 去年建成了几所), which plans and laws do not report
ACTUAL = re.compile(r"实际|已经|目前已|截至目前|到目前|完成了多少|建成了|新开了?|开了哪些|招了多少|去年")
# a numbered slogan: four digits or more (3377522), or a quoted number (“21”)
SLOGAN = re.compile(r"(?<![\d.])(\d{4,})(?![\d年.%])|[“\"](\d{2,})[”\"]")
# the thing asked for, when it may be a word the documents never use (招生电话是多少, 地址在哪里)
ASKED_ATTRIBUTE = re.compile(r"([\u4e00-\u9fff]{2,6})(?:是多少|是什么|是啥|在哪里|在哪儿|在哪|有多少|多少钱)")
# a question about a penalty or a remedy (法院, 仲裁, 投诉) is answered by the 法律责任 chapter
PENALTY_ASKED = re.compile(r"罚|处分|法律责任|怎么处理|如何处理|怎样处理|后果|追究|吊销|没收|承担什么责任|什么责任"
                           r"|法院|起诉|诉讼|告他|告它|去告|仲裁|投诉|举报|赔偿|维权")
SCHOOL_LIST = re.compile(r"哪些(学校|院校|中职学校|职业学校|高校|大学|职中|中职)")
# "where is X mentioned": the term before the place-and-verb (“产教融合”在哪些地方提到) or after it
# (方案里哪些地方提到了“3+2”, 有几处讲到乡村振兴学院)
_MENTION_PLACE = r"(?:哪些|哪个|哪几个?|哪一?|几个?|多少|什么)?(?:地方|处|次|条款?|部分|段落?|任务|内容)|哪里|哪儿"
_MENTION_VERB = r"(?:有|都有)?(?:涉及|提到|提及|出现|讲到|说到|写到|谈到)(?:了|过)?"
_SCOPE = r"(?:这个|本|该)?(?:方案|文件|文中|文件中|全文)?(?:中|里|里面)?(?:有|共有|一共有?|总共有?)?"
TERM_MENTION = (
    re.compile(r"^[“\"'「]?(.{2,20}?)[”\"'」]?(?:在|于)?" + _SCOPE + r"(?:都在|都|在)?(?:" + _MENTION_PLACE + r")?(?:里|中)?" + _MENTION_VERB
               + r"在?(?:哪些|哪几个?|什么)?(?:地方|条款|任务|内容|工作)?(?:吗|呢|过吗)?[？?。]?$"),
    # the term may hold quotes of its own (哪里说到了“双师型”教师)
    re.compile(r"^" + _SCOPE + r"(?:" + _MENTION_PLACE + r")" + _SCOPE + _MENTION_VERB
               + r"(.{2,24}?)(?:的(?:内容|地方|条款|任务|事))?(?:吗|呢)?[？?。]?$"),
    # 方案提到“3+2”培养的是哪几处
    re.compile(r"^" + _SCOPE + _MENTION_VERB + r"(.{2,24}?)的(?:内容|条款)?(?:分布|出现)?(?:是|有|在)?(?:"
               + _MENTION_PLACE + r")(?:吗|呢)?[？?。]?$"),
)

# Words that say a question is about the documents, not what it is about (年终奖法律上有规定吗:
# 法律, 规定): they are no evidence that a clause answers it.
FRAMING = frozenset("法律 法规 规定 条文 条款 有关 相关 法律规定 国家规定".split())

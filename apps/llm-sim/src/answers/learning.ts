import { FIVE_W, type FiveW, type LearningInput } from '@voc/prompts';
import { Rng } from '../random';
import { jsonAnswer, type SimAnswer } from './types';

interface Candidate {
  name: string;
  description: string;
  keywords: RegExp;
}

const c = (name: string, description: string, keywords: RegExp): Candidate => ({ name, description, keywords });

const DIMENSIONS: Candidate[] = [
  c('产品质量', '做工、材质与是否有缺陷', /\b(quality|broke|broken|defect\w*|flimsy|sturdy|material|cheap)\b/gi),
  c('耐用性', '使用一段时间后是否依然可靠', /\b(durable|lasted|stopped|months?|weeks?|years?|died|wear)\b/gi),
  c('电池续航', '充电速度与一次充电可用时长', /\b(battery|charge|charging|charger|power)\b/gi),
  c('易用性', '安装、上手和日常操作是否方便', /\b(easy|setup|install\w*|instructions?|simple|intuitive|use)\b/gi),
  c('性价比', '价格与所得价值是否相称', /\b(price|worth|value|money|expensive|cheap|deal|cost)\b/gi),
  c('外观设计', '外形、颜色与尺寸观感', /\b(look|looks|design|color|colour|style|beautiful|cute)\b/gi),
  c('尺寸规格', '大小、重量与描述是否相符', /\b(size|small|large|big|fit|fits|weight|heavy|light)\b/gi),
  c('功能性能', '核心功能是否达到预期', /\b(works?|worked|feature\w*|performance|fast|slow|powerful|function\w*)\b/gi),
  c('舒适度', '使用或穿戴时的舒适程度', /\b(comfortable|comfort|soft|hurts?|pain)\b/gi),
  c('噪音', '运行时的声音大小', /\b(noise|noisy|quiet|loud|sound)\b/gi),
  c('售后服务', '客服、退换货与保修体验', /\b(customer service|support|return\w*|refund|warranty|replacement|seller)\b/gi),
  c('物流包装', '配送速度与包装完好程度', /\b(shipping|package|packaging|arrived|box|delivery|delivered)\b/gi),
];

const LABELS: Record<FiveW, Candidate[]> = {
  who: [
    c('宝妈宝爸', '为孩子或家庭购买使用的父母', /\b(kids?|son|daughter|baby|mom|dad|child(ren)?)\b/gi),
    c('上班族', '通勤或办公场景的职场人士', /\b(work|office|commute|job)\b/gi),
    c('学生', '在校学习使用的学生', /\b(student|school|college|class)\b/gi),
    c('老年人', '自己或为长辈购买的老年用户', /\b(elderly|grandma|grandpa|parents?|senior)\b/gi),
    c('宠物主人', '为宠物购买的用户', /\b(dog|cat|pet|puppy)\b/gi),
    c('户外爱好者', '露营、徒步等户外活动人群', /\b(camping|hiking|outdoor\w*|trail)\b/gi),
  ],
  when: [
    c('日常使用', '每天的常规使用', /\b(daily|every ?day|routine)\b/gi),
    c('旅行出差', '出行途中使用', /\b(travel\w*|trip|vacation|flight)\b/gi),
    c('节日送礼', '作为节日或生日礼物', /\b(gift|christmas|birthday|present)\b/gi),
    c('夜间使用', '晚上或睡前使用', /\b(night|bed|sleep|evening)\b/gi),
    c('运动健身', '运动锻炼时使用', /\b(gym|workout|exercise|running|run)\b/gi),
  ],
  where: [
    c('家中', '在家里使用', /\b(home|house|kitchen|bedroom|living room)\b/gi),
    c('办公室', '在办公场所使用', /\b(office|desk|work)\b/gi),
    c('户外', '在户外环境使用', /\b(outdoor\w*|outside|yard|garden|park)\b/gi),
    c('车内', '在汽车里使用', /\b(car|truck|vehicle|drive)\b/gi),
  ],
  what: [
    c('日常清洁', '用于清洁打扫', /\b(clean\w*|dust|wash)\b/gi),
    c('娱乐休闲', '用于娱乐放松', /\b(music|movie|game|fun|relax)\b/gi),
    c('学习办公', '用于学习或工作', /\b(work|study|office|laptop)\b/gi),
    c('收纳整理', '用于收纳物品', /\b(storage|organi[sz]e\w*|store)\b/gi),
    c('替换旧品', '替换坏掉或旧的同类产品', /\b(replace\w*|old one|upgrade)\b/gi),
  ],
  why: [
    c('价格实惠', '因价格便宜而购买', /\b(price|cheap|deal|affordable|sale)\b/gi),
    c('好评推荐', '因评价或他人推荐而购买', /\b(reviews?|recommend\w*|friend)\b/gi),
    c('品牌信任', '因信任品牌而购买', /\b(brand|trust)\b/gi),
    c('功能需求', '为满足某项具体功能需求', /\b(need\w*|feature|function)\b/gi),
    c('颜值外观', '被外观设计吸引', /\b(look|design|cute|beautiful|color)\b/gi),
  ],
};

/** The candidates best supported by the text (keyword hits), ties broken by the seeded shuffle. */
function choose(candidates: Candidate[], text: string, count: number, rng: Rng): Candidate[] {
  const scored = rng.shuffle(candidates).map((cand) => ({ cand, hits: text.match(cand.keywords)?.length ?? 0 }));
  scored.sort((a, b) => b.hits - a.hits);
  return scored.slice(0, count).map((s) => s.cand);
}

const strip = ({ name, description }: Candidate) => ({ name, description });

/** 5–8 dimensions and 3–4 labels per 5W category, chosen by what the sample reviews talk about. */
export function answerLearning(input: LearningInput, seed: string): SimAnswer {
  const rng = new Rng(seed, 'learning', JSON.stringify(input));
  const text = [input.title ?? '', ...(input.bulletPoints ?? []), ...input.sampleReviews].join('\n');
  const dimensions = choose(DIMENSIONS, text, 5 + rng.int(4), rng).map(strip);
  const labels = Object.fromEntries(FIVE_W.map((w) => [w, choose(LABELS[w], text, 3 + rng.int(2), rng).map(strip)]));
  return jsonAnswer('learning', { dimensions, labels });
}

/**
 * The kinds of prompt this project sends, and how to recognise one from its
 * messages. Each system prompt embeds its kind's marker phrase (a natural part
 * of the prompt, not a tag), so the simulator and the metrics agree on kinds
 * without any side channel the real provider would not understand.
 */
export const PROMPT_KINDS = ['translate_single', 'translate_batch', 'insight', 'theme', 'learning', 'other'] as const;
export type PromptKind = (typeof PROMPT_KINDS)[number];

export const PROMPT_MARKERS = {
  translate_batch: '请翻译以下多条评论',
  translate_single: '资深亚马逊跨境电商翻译专家',
  insight: '负责评论洞察提取',
  theme: '负责评论 5W 主题标注',
  learning: '负责产品分析模型构建',
} as const satisfies Record<Exclude<PromptKind, 'other'>, string>;

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** A message as it arrives over the wire: content may be a string or an array of text parts. */
export interface WireMessage {
  role?: unknown;
  content?: unknown;
}

/** The text of a message whose content is a string or OpenAI-style parts ({type:'text', text}). */
export function messageText(message: WireMessage): string {
  const c = message.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    return c
      .map((part: unknown) =>
        part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string'
          ? (part as { text: string }).text
          : '',
      )
      .join('');
  }
  return '';
}

/** Recognises a prompt by the marker phrase in its system message(s); anything else is 'other'. */
export function detectPromptKind(messages: readonly WireMessage[]): PromptKind {
  const system = messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map(messageText)
    .join('\n');
  if (!system) return 'other';
  // Batch first: its prompt shares the translator persona with the single one.
  for (const kind of ['translate_batch', 'translate_single', 'insight', 'theme', 'learning'] as const) {
    if (system.includes(PROMPT_MARKERS[kind])) return kind;
  }
  return 'other';
}

/** The text of the last user message (where every prompt of this project puts its input). */
export function lastUserText(messages: readonly WireMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === 'user') return messageText(m);
  }
  return '';
}

import { detectPromptKind, type PromptKind, type WireMessage } from '@voc/prompts';

/**
 * What kind of prompt a request body carries. Detection is the lib's own
 * (`detectPromptKind` of @voc/prompts, by the marker phrase of each system
 * prompt), so the simulator and the client can never disagree on kinds.
 */
export interface ChatBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
}

export interface ClassifiedRequest {
  kind: PromptKind;
  /** Undefined when the body has no usable message list (answered 400, counted as 'other'). */
  messages: WireMessage[] | undefined;
}

function isMessageList(messages: unknown): messages is WireMessage[] {
  return (
    Array.isArray(messages) &&
    messages.length > 0 &&
    messages.every((m) => m && typeof m === 'object' && typeof (m as WireMessage).role === 'string')
  );
}

export function classifyRequest(body: ChatBody): ClassifiedRequest {
  const messages = isMessageList(body.messages) ? body.messages : undefined;
  return { kind: messages ? detectPromptKind(messages) : 'other', messages };
}

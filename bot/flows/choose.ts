import { optionReplyId } from './render.ts';
import type { MenuNode, MenuOption } from './schema.ts';
import { fold } from './text.ts';

export type ChosenBy = 'reply' | 'number' | 'label' | 'keyword';

export interface Choice {
  index: number;
  option: MenuOption;
  by: ChosenBy;
}

const NUMBER = /^#?(\d{1,3})\)?$/;

/** The option number a folded answer names ("2", "2.", "2)", "#2"), if it is one. */
export function answerNumber(folded: string): number | undefined {
  const match = NUMBER.exec(folded);
  return match ? Number(match[1]) : undefined;
}

/** The whole-message answers (folded) that choose an option besides its number. */
export function optionAnswers(option: MenuOption): { answer: string; by: 'label' | 'keyword' }[] {
  return [
    { answer: fold(option.label), by: 'label' as const },
    ...(option.keywords ?? []).map((k) => ({ answer: fold(k), by: 'keyword' as const })),
  ];
}

/**
 * Which option a message chooses: a tapped button or row (its reply id, or the option's own id as
 * some integrations send it), else the option number, else a label or keyword as the whole message.
 */
export function chooseOption(
  nodeId: string,
  node: MenuNode,
  input: { text?: string; replyId?: string },
): Choice | undefined {
  const { options } = node;
  if (input.replyId !== undefined) {
    const index = options.findIndex(
      (o, i) =>
        optionReplyId(nodeId, o, i) === input.replyId || (o.id !== undefined && o.id === input.replyId),
    );
    if (index >= 0) return { index, option: options[index]!, by: 'reply' };
  }
  if (input.text === undefined) return undefined;
  const folded = fold(input.text);
  if (!folded) return undefined;
  const number = answerNumber(folded);
  if (number !== undefined && number >= 1 && number <= options.length) {
    return { index: number - 1, option: options[number - 1]!, by: 'number' };
  }
  for (const [index, option] of options.entries()) {
    const hit = optionAnswers(option).find((a) => a.answer === folded);
    if (hit) return { index, option, by: hit.by };
  }
  return undefined;
}

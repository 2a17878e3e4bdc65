import { answerNumber, optionAnswers } from './choose.ts';
import { DEFAULT_HANDOVER_KEYWORDS } from './keywords.ts';
import { INTERACTIVE_LIMITS, menuStyle, optionReplyId, optionTitle } from './render.ts';
import { isWaiting, nodeEdges, type Flow, type FlowNode, type MenuNode } from './schema.ts';
import type { RawProblem, Segment } from './problems.ts';
import { fold } from './text.ts';

/*
 * Checks across nodes, once the shape is valid. Errors make a flow unusable (a reference to nothing,
 * a loop that never waits for the customer, two options answering to the same word); warnings point
 * at what is probably a mistake but runs (an unreachable node, a menu too long for a WhatsApp list).
 */

export interface ValidationOptions {
  /** The global handover keywords in force (to warn when a menu answer can never be chosen). */
  handoverKeywords?: readonly string[];
}

export function crossCheck(
  flow: Flow,
  options: ValidationOptions = {},
): { errors: RawProblem[]; warnings: RawProblem[] } {
  const errors: RawProblem[] = [];
  const warnings: RawProblem[] = [];
  const has = (id: string) => Object.hasOwn(flow.nodes, id);

  if (!has(flow.start)) errors.push({ segments: ['start'], message: `no node "${flow.start}"` });
  for (const [id, node] of Object.entries(flow.nodes)) {
    for (const edge of nodeEdges(node)) {
      if (!has(edge.target)) {
        errors.push({ segments: ['nodes', id, ...edge.path], message: `no node "${edge.target}"` });
      }
    }
  }

  (flow.handoverKeywords ?? []).forEach((k, i) => {
    if (!fold(k)) errors.push({ segments: ['handoverKeywords', i], message: EMPTY_WORD });
  });
  const handover = new Set(
    [...(options.handoverKeywords ?? DEFAULT_HANDOVER_KEYWORDS), ...(flow.handoverKeywords ?? [])].map(fold),
  );
  for (const [id, node] of Object.entries(flow.nodes)) {
    if (node.type === 'menu') checkMenu(id, node, handover, errors, warnings);
  }

  if (has(flow.start)) {
    const reached = reachable(flow);
    for (const id of Object.keys(flow.nodes)) {
      if (!reached.has(id)) {
        warnings.push({
          segments: ['nodes', id],
          message: `unreachable: no path from start "${flow.start}"`,
        });
      }
    }
  }
  errors.push(...loopsWithoutWaiting(flow));
  return { errors, warnings };
}

const EMPTY_WORD = 'has no word left once case, accents and punctuation are ignored';

function checkMenu(
  id: string,
  node: MenuNode,
  handover: ReadonlySet<string>,
  errors: RawProblem[],
  warnings: RawProblem[],
): void {
  const at = (...rest: Segment[]): Segment[] => ['nodes', id, ...rest];

  // Reply ids are "<node>:<id>", or "<node>:<number>" for options without an id.
  const replyIds = new Map<string, number>();
  node.options.forEach((option, i) => {
    if (option.id === undefined) replyIds.set(optionReplyId(id, option, i), i);
  });
  node.options.forEach((option, i) => {
    if (option.id === undefined) return;
    const other = replyIds.get(optionReplyId(id, option, i));
    if (other === undefined) {
      replyIds.set(optionReplyId(id, option, i), i);
    } else if (node.options[other]!.id === undefined) {
      errors.push({
        segments: at('options', i, 'id'),
        message: `"${option.id}" is the reply id of options[${other}], which has no id of its own`,
      });
    } else {
      errors.push({
        segments: at('options', i, 'id'),
        message: `duplicate option id "${option.id}" (options[${other}] has it too)`,
      });
    }
  });

  const owners = new Map<string, number>();
  node.options.forEach((option, i) => {
    optionAnswers(option).forEach(({ answer, by }, k) => {
      // The label comes first in optionAnswers; keywords follow with index k - 1.
      const where = by === 'label' ? at('options', i, 'label') : at('options', i, 'keywords', k - 1);
      const shown = by === 'label' ? option.label : option.keywords![k - 1]!;
      if (!answer) {
        errors.push({ segments: where, message: EMPTY_WORD });
        return;
      }
      const number = answerNumber(answer);
      if (number !== undefined && number !== i + 1 && number >= 1 && number <= node.options.length) {
        errors.push({
          segments: where,
          message: `"${shown}" would choose options[${number - 1}] by its number`,
        });
        return;
      }
      const owner = owners.get(answer);
      if (owner !== undefined && owner !== i) {
        errors.push({ segments: where, message: `"${shown}" also chooses options[${owner}]` });
        return;
      }
      owners.set(answer, i);
      if (handover.has(answer)) {
        warnings.push({
          segments: where,
          message: `"${shown}" is a handover keyword: it asks for an agent wherever it is typed`,
        });
      }
    });
  });

  if (node.options.length > INTERACTIVE_LIMITS.listRows) {
    warnings.push({
      segments: at('options'),
      message: `${node.options.length} options: more than a WhatsApp list holds (${INTERACTIVE_LIMITS.listRows}), so the menu is always sent as numbered text`,
    });
  } else if (node.text.length > INTERACTIVE_LIMITS.body) {
    warnings.push({
      segments: at('text'),
      message: `longer than ${INTERACTIVE_LIMITS.body} characters, the most an interactive message holds, so the menu is always sent as numbered text`,
    });
  } else {
    const style = menuStyle(node.options.length, node.text.length, true);
    if (style !== 'text') {
      const titles = new Map<string, number>();
      node.options.forEach((option, i) => {
        const title = optionTitle(option.label, style);
        const other = titles.get(title);
        if (other !== undefined) {
          warnings.push({
            segments: at('options', i, 'label'),
            message: `shortened to "${title}" on WhatsApp ${style === 'buttons' ? 'buttons' : 'list rows'}, like options[${other}]: customers cannot tell them apart`,
          });
        }
        titles.set(title, i);
      });
    }
  }
}

function reachable(flow: Flow): Set<string> {
  const seen = new Set<string>([flow.start]);
  const todo = [flow.start];
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    const node = flow.nodes[id];
    if (!node) continue;
    for (const { target } of nodeEdges(node)) {
      if (!seen.has(target)) {
        seen.add(target);
        todo.push(target);
      }
    }
  }
  return seen;
}

/**
 * Cycles made only of nodes that do not wait (message, branch) would send messages forever within
 * one step. Attributes do not change along such a cycle, so a branch that once takes it always will.
 */
function loopsWithoutWaiting(flow: Flow): RawProblem[] {
  const passing = (id: string): FlowNode | undefined => {
    const node = flow.nodes[id];
    return node && !isWaiting(node) ? node : undefined;
  };
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found = new Map<string, RawProblem>();

  const visit = (id: string): void => {
    state.set(id, 'open');
    stack.push(id);
    for (const { target } of nodeEdges(passing(id)!)) {
      if (!passing(target)) continue;
      if (state.get(target) === 'open') {
        const cycle = stack.slice(stack.indexOf(target));
        const first = cycle.indexOf([...cycle].sort()[0]!);
        const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
        const key = rotated.join('\u0000');
        if (!found.has(key)) {
          found.set(key, {
            segments: ['nodes', rotated[0]!],
            message: `loops forever without waiting for the customer: ${[...rotated, rotated[0]].join(' → ')}`,
          });
        }
      } else if (!state.has(target)) {
        visit(target);
      }
    }
    stack.pop();
    state.set(id, 'done');
  };

  for (const id of Object.keys(flow.nodes)) {
    if (passing(id) && !state.has(id)) visit(id);
  }
  return [...found.values()];
}

import { z } from 'zod';

/*
 * The campaign flow definition: the one schema the engine, the provisioning API (and its OpenAPI
 * document, generated with z.toJSONSchema) and the README speak of. Shape checks live here; checks
 * across nodes (references, reachability, loops, duplicate choices) are in validate.ts.
 */

export const VALIDATOR_NAMES = ['text', 'email', 'number', 'phone', 'date'] as const;
export type ValidatorName = (typeof VALIDATOR_NAMES)[number];

export const NODE_TYPES = ['message', 'menu', 'question', 'ask', 'branch', 'handover', 'end'] as const;

/** Node ids end up in interactive reply ids (`<node>:<option>`), hence the short, plain alphabet. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;
export const nodeIdSchema = z
  .string()
  .regex(ID, 'must be 1–64 letters, digits, "_" or "-"')
  .meta({ description: 'A node id: 1–64 letters, digits, "_" or "-".' });

const attributeName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'must start with a letter or "_" (then letters, digits, _ . -)')
  .meta({ description: 'A contact attribute name, e.g. order_number.' });

/** WhatsApp caps a text message at 4096 characters; longer prompts are a mistake, not a feature. */
const text = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .meta({ description: 'Text sent to the customer; {{attribute}} is replaced by the contact attribute.' });

function regexSource(description: string) {
  return z
    .string()
    .min(1, 'must not be empty')
    .superRefine((source, ctx) => {
      try {
        new RegExp(source, 'u');
      } catch (err) {
        const reason = (err as Error).message.split(': ').at(-1);
        ctx.addIssue({ code: 'custom', message: `invalid regular expression (${reason})` });
      }
    })
    .meta({ description });
}

const regexValidator = z
  .strictObject({
    regex: regexSource(
      'A JavaScript regular expression (Unicode mode) the trimmed answer must match; anchor it with ^…$ for a whole-answer match.',
    ),
    message: text.meta({ description: 'Sent when the answer does not match (unless the node has retry).' }),
  })
  .meta({ description: 'A custom validator.' });

export const validatorSchema = z
  .union([z.enum(VALIDATOR_NAMES), regexValidator], {
    // Objects get the {regex, message} branch's own errors (see problems.ts); anything else, this.
    error: (issue) =>
      typeof issue.input === 'string'
        ? `unknown validator "${issue.input}" (expected ${VALIDATOR_NAMES.join(', ')} or {regex, message})`
        : typeof issue.input === 'object' && issue.input !== null && !Array.isArray(issue.input)
          ? undefined
          : `must be one of ${VALIDATOR_NAMES.join(', ')} or {regex, message}`,
  })
  .meta({
    description:
      'How the answer is checked before it is stored: text (any text), email, number, phone (stored in E.164), date (YYYY-MM-DD), or {regex, message}.',
  });

const next = nodeIdSchema.meta({ description: 'The node to go to.' });

const keyword = z.string().trim().min(1, 'must not be empty').max(100);

const messageNode = z
  .strictObject({
    type: z.literal('message'),
    text,
    next: next.optional().meta({ description: 'The node to go to at once; without it the flow ends.' }),
  })
  .meta({ description: 'Says something, then goes on without waiting.' });

const menuOption = z
  .strictObject({
    id: nodeIdSchema
      .optional()
      .meta({ description: 'Stable id of the option (reply id "<node>:<id>"); defaults to its number.' }),
    label: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    keywords: z
      .array(keyword)
      .optional()
      .meta({ description: 'Other whole-message answers that choose this option.' }),
    next,
  })
  .meta({ description: 'A choice: picked by its number, its label, a keyword, or a tapped button or row.' });

const menuNode = z
  .strictObject({
    type: z.literal('menu'),
    text,
    options: z.array(menuOption).min(1, 'a menu needs at least one option').max(100),
    fallback: text
      .optional()
      .meta({ description: 'Sent, with the options again, when the answer matches none of them.' }),
    listButton: z
      .string()
      .trim()
      .min(1)
      .max(20, 'must be at most 20 characters (WhatsApp limit)')
      .optional()
      .meta({ description: 'Text of the button that opens an interactive list (default "Options").' }),
  })
  .meta({ description: 'Asks the customer to choose, then waits.' });

const questionNode = z
  .strictObject({
    type: z.enum(['question', 'ask']),
    text,
    attribute: attributeName,
    validate: validatorSchema.optional(),
    retry: text.optional().meta({ description: 'Sent when the answer is not valid (counts as a miss).' }),
    next,
  })
  .meta({ description: 'Asks a question, waits, and stores the valid answer as a contact attribute.' });

const condition = z
  .strictObject({
    attribute: attributeName,
    equals: z
      .string()
      .optional()
      .meta({ description: 'The attribute equals this (ignoring case, accents and final punctuation).' }),
    in: z.array(z.string()).min(1).optional().meta({ description: 'The attribute equals one of these.' }),
    exists: z
      .boolean()
      .optional()
      .meta({ description: 'true: the attribute is set and not empty; false: it is not.' }),
    matches: regexSource('The attribute matches this regular expression (Unicode mode).').optional(),
  })
  .refine(
    (c) => [c.equals, c.in, c.exists, c.matches].filter((v) => v !== undefined).length === 1,
    'give exactly one of equals, in, exists, matches',
  );

const branchNode = z
  .strictObject({
    type: z.literal('branch'),
    rules: z
      .array(z.strictObject({ when: condition, next }))
      .min(1, 'a branch needs at least one rule')
      .meta({ description: 'Tried in order; the first that holds wins.' }),
    else: next.meta({ description: 'Where to go when no rule holds.' }),
  })
  .meta({ description: 'Goes on according to contact attributes (given, or collected by questions).' });

const handoverNode = z
  .strictObject({
    type: z.literal('handover'),
    text: text.optional(),
    reason: z.string().trim().min(1).max(200).optional().meta({ description: 'Shown to agents.' }),
    skill: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .optional()
      .meta({ description: 'Which agents should take it (routing).' }),
  })
  .meta({ description: 'Ends the flow and asks for a human agent.' });

const endNode = z
  .strictObject({ type: z.literal('end'), text: text.optional() })
  .meta({ description: 'Ends the flow.' });

export const nodeSchema = z.discriminatedUnion(
  'type',
  [messageNode, menuNode, questionNode, branchNode, handoverNode, endNode],
  {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined;
      const type = (issue.input as { type?: unknown } | undefined)?.type;
      return type === undefined
        ? `required (one of ${NODE_TYPES.join(', ')})`
        : `unknown node type ${JSON.stringify(type)} (expected one of ${NODE_TYPES.join(', ')})`;
    },
  },
);

export const liveMessagesSchema = z
  .strictObject({
    welcome: text.optional(),
    queued: text.optional(),
    position: text.optional(),
    assigned: text.optional(),
    takeover: text.optional(),
    offline: text.optional(),
    resolved: text.optional(),
  })
  .meta({ description: "This campaign's own live-assistant messages, instead of the space's." });

export const flowSchema = z
  .strictObject({
    version: z.literal(1).optional().meta({ description: 'Format version of this definition.' }),
    start: nodeIdSchema.meta({ description: 'The first node.' }),
    fallback: z
      .strictObject({ text })
      .optional()
      .meta({ description: 'Sent when an answer to a menu is not understood and the menu has no fallback.' }),
    maxMisses: z.number().int().min(1).max(10).default(3).meta({
      description:
        'After this many answers in a row that are not understood at one node, the flow hands over to an agent.',
    }),
    handoverKeywords: z.array(keyword).optional().meta({
      description: 'Whole-message words that ask for an agent from any node, besides the global ones.',
    }),
    messages: liveMessagesSchema.optional(),
    nodes: z.record(nodeIdSchema, nodeSchema).meta({ description: 'The nodes, by id.' }),
  })
  .meta({ description: 'A campaign flow.' });

/** A definition as authors write it (optional keys may be missing). */
export type FlowDefinition = z.input<typeof flowSchema>;
/** A validated definition, defaults filled in: what the engine runs. */
export type Flow = z.output<typeof flowSchema>;
export type FlowNode = z.output<typeof nodeSchema>;
export type MessageNode = z.output<typeof messageNode>;
export type MenuNode = z.output<typeof menuNode>;
export type MenuOption = z.output<typeof menuOption>;
export type QuestionNode = z.output<typeof questionNode>;
export type BranchNode = z.output<typeof branchNode>;
export type Condition = z.output<typeof condition>;
export type HandoverNode = z.output<typeof handoverNode>;
export type EndNode = z.output<typeof endNode>;
export type Validator = z.output<typeof validatorSchema>;

/** Nodes that stop and wait for the customer's next message. */
export function isWaiting(node: FlowNode): node is MenuNode | QuestionNode {
  return node.type === 'menu' || node.type === 'question' || node.type === 'ask';
}

/** Every node a node can lead to, with the key path of the reference (for error messages). */
export function nodeEdges(node: FlowNode): { path: (string | number)[]; target: string }[] {
  switch (node.type) {
    case 'message':
      return node.next === undefined ? [] : [{ path: ['next'], target: node.next }];
    case 'menu':
      return node.options.map((o, i) => ({ path: ['options', i, 'next'], target: o.next }));
    case 'question':
    case 'ask':
      return [{ path: ['next'], target: node.next }];
    case 'branch':
      return [
        ...node.rules.map((r, i) => ({ path: ['rules', i, 'next'], target: r.next })),
        { path: ['else'], target: node.else },
      ];
    case 'handover':
    case 'end':
      return [];
  }
}

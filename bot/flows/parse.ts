import { LineCounter, parseDocument, type Document } from 'yaml';
import { finishProblems, formatProblem, issueProblems, type FlowProblem } from './problems.ts';
import { flowSchema, type Flow } from './schema.ts';
import { crossCheck, type ValidationOptions } from './validate.ts';

/** The outcome of checking a definition: every error and warning at once, not just the first. */
export type FlowCheck =
  | { ok: true; flow: Flow; warnings: FlowProblem[] }
  | { ok: false; errors: FlowProblem[]; warnings: FlowProblem[] };

export type FlowFormat = 'yaml' | 'json';

/** Raised by unwrapFlow; `errors` lists every problem with its path (and line, from text). */
export class FlowError extends Error {
  readonly errors: FlowProblem[];

  constructor(errors: FlowProblem[], heading = 'Invalid campaign flow:') {
    super([heading, ...errors.map((e) => `  ${formatProblem(e)}`)].join('\n'));
    this.name = 'FlowError';
    this.errors = errors;
  }
}

type Source = { doc: Document; lines: LineCounter };

function check(raw: unknown, options: ValidationOptions, source?: Source): FlowCheck {
  const parsed = flowSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    return { ok: false, errors: finishProblems(issueProblems(parsed.error.issues), source), warnings: [] };
  }
  const { errors, warnings } = crossCheck(parsed.data, options);
  const finished = finishProblems(warnings, source);
  return errors.length > 0
    ? { ok: false, errors: finishProblems(errors, source), warnings: finished }
    : { ok: true, flow: parsed.data, warnings: finished };
}

/** Validates an already-parsed definition (e.g. the `flow` of an API request body). */
export function validateFlow(raw: unknown, options: ValidationOptions = {}): FlowCheck {
  return check(raw, options);
}

/**
 * Parses and validates a definition written in YAML or JSON. Syntax errors (and duplicate keys,
 * which both formats would otherwise silently collapse) come with line and column; so do the
 * validation problems.
 */
export function parseFlow(text: string, format: FlowFormat, options: ValidationOptions = {}): FlowCheck {
  const lines = new LineCounter();
  let raw: unknown;
  if (format === 'json') {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return { ok: false, errors: [jsonSyntaxProblem(err as SyntaxError)], warnings: [] };
    }
  }
  // JSON is YAML too: the document gives positions, and duplicate keys, for both formats.
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter: lines });
  const syntax = format === 'json' ? doc.errors.filter((e) => e.code === 'DUPLICATE_KEY') : doc.errors;
  if (syntax.length > 0) {
    const errors = syntax.map((e): FlowProblem => {
      const problem: FlowProblem = {
        path: '',
        message: `${format.toUpperCase()} syntax: ${firstLine(e.message)}`,
      };
      if (e.linePos) {
        problem.line = e.linePos[0].line;
        problem.column = e.linePos[0].col;
      }
      return problem;
    });
    return { ok: false, errors, warnings: [] };
  }
  if (format === 'yaml' && doc.contents === null) {
    return { ok: false, errors: [{ path: '', message: 'the document is empty' }], warnings: [] };
  }
  // Valid JSON the YAML parser reads differently still validates; it only loses positions.
  if (format === 'json') return check(raw, options, doc.errors.length === 0 ? { doc, lines } : undefined);
  return check(doc.toJS(), options, { doc, lines });
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function jsonSyntaxProblem(err: SyntaxError): FlowProblem {
  const position = /\(line (\d+) column (\d+)\)/.exec(err.message);
  const problem: FlowProblem = {
    path: '',
    message: `JSON syntax: ${err.message.replace(/ \(line \d+ column \d+\)/, '')}`,
  };
  if (position) {
    problem.line = Number(position[1]);
    problem.column = Number(position[2]);
  }
  return problem;
}

/** The flow of a successful check; otherwise throws a FlowError listing every error. */
export function unwrapFlow(result: FlowCheck): Flow {
  if (!result.ok) throw new FlowError(result.errors);
  return result.flow;
}

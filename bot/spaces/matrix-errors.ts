/** What the homeserver answered, from the SDK's MatrixError (or anything else thrown). */
export function matrixErrcode(err: unknown): string | undefined {
  const e = err as { errcode?: unknown; body?: { errcode?: unknown } };
  const code = e.errcode ?? e.body?.errcode;
  return typeof code === 'string' ? code : undefined;
}

export function matrixStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Runs a step that may find its work already done (leaving a room one is not in, kicking someone
 * who left): the homeserver answers 403/404 for those, and the step counts as done.
 */
export async function alreadyDone(step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (err) {
    const status = matrixStatus(err);
    if (status === 403 || status === 404) return;
    throw err;
  }
}

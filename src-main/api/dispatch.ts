import { isMethodName, methods, type MethodName } from '../../src-shared/api';
import { ApiError, type ApiEnvelope } from '../../src-shared/errors';
import { issuesFromZod } from '../engine/validation';
import type { Handlers } from './handlers';

/** Arguments nest at most this deep: the contract's deepest is a few levels. */
export const MAX_ARGUMENT_DEPTH = 32;

/**
 * Whether a JSON-like value nests deeper than `max` (objects and arrays), walked without
 * recursion: a body nested 100,000 levels deep must get an error, not a stack overflow later in
 * validation or JSON.stringify.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * The boundary every transport goes through: unknown methods and arguments that fail the
 * contract's schema are refused before any handler runs, so they write nothing.
 */
export async function dispatch(handlers: Handlers, method: string, rawArgs: unknown): Promise<ApiEnvelope<unknown>> {
  try {
    if (typeof method !== 'string' || !isMethodName(method)) {
      throw new ApiError('unknown_method', `The workbench has no API method "${String(method)}".`);
    }
    if (nestsDeeperThan(rawArgs, MAX_ARGUMENT_DEPTH)) {
      throw new ApiError('invalid_argument', `Invalid arguments to ${method}: they nest deeper than ${MAX_ARGUMENT_DEPTH} levels of objects and arrays.`);
    }
    const parsed = methods[method].safeParse(rawArgs ?? {});
    if (!parsed.success) {
      const issues = issuesFromZod(parsed.error);
      throw new ApiError('invalid_argument', `Invalid arguments to ${method}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    }
    const handler = handlers[method] as (args: unknown) => unknown;
    return { ok: true, result: await handler(parsed.data) };
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, error: err.toPayload() };
    console.error(`[api] ${method} failed:`, err);
    return { ok: false, error: { code: 'internal', message: `${method} failed: ${err instanceof Error ? err.message : String(err)}` } };
  }
}

export type Dispatcher = (method: string, args: unknown) => Promise<ApiEnvelope<unknown>>;
export type { MethodName };

import { isMethodName, methods, type MethodName } from '../../src-shared/api';
import { ApiError, type ApiEnvelope } from '../../src-shared/errors';
import { issuesFromZod } from '../engine/validation';
import type { Handlers } from './handlers';

/**
 * The boundary every transport goes through: unknown methods and arguments that fail the
 * contract's schema are refused before any handler runs, so they write nothing.
 */
export async function dispatch(handlers: Handlers, method: string, rawArgs: unknown): Promise<ApiEnvelope<unknown>> {
  try {
    if (typeof method !== 'string' || !isMethodName(method)) {
      throw new ApiError('unknown_method', `The workbench has no API method "${String(method)}".`);
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
export function createDispatcher(handlers: Handlers): Dispatcher {
  return (method, args) => dispatch(handlers, method, args);
}
export type { MethodName };

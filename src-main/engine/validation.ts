import type { z } from 'zod';
import type { ApiIssue } from '../../src-shared/errors';

/** zod issues as {path, message} a user can act on ("settings.joints: must be at most 32"). */
export function issuesFromZod(error: z.ZodError, prefix: (string | number)[] = []): ApiIssue[] {
  return error.issues.map((i) => ({
    path: [...prefix, ...i.path].map(String).join('.') || '(arguments)',
    message: i.message,
  }));
}

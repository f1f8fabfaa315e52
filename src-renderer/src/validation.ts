import type { z } from 'zod';
import { ApiError, type ApiIssue } from '@shared/errors';

/** Messages keyed by dotted path ("settings.joints"); "" holds what belongs to no field. */
export type FieldMessages = Record<string, string>;

/** A field shown in another unit than the API stores, e.g. radians shown in degrees. */
export interface FieldUnit {
  suffix: string;
  toShown(stored: number): number;
  toStored(shown: number): number;
}

function bound(value: number, unit?: FieldUnit): string {
  const shown = unit ? unit.toShown(value) : value;
  return `${Number(shown.toPrecision(6))}${unit?.suffix ?? ''}`;
}

/** Zod's default number messages speak of "<=32"; say it in words, in the unit shown. */
export function describeIssue(issue: z.core.$ZodIssue, unit?: FieldUnit): string {
  if (issue.code === 'too_big' && issue.origin === 'number') {
    return `${issue.inclusive ? 'must be at most' : 'must be less than'} ${bound(Number(issue.maximum), unit)}`;
  }
  if (issue.code === 'too_small' && issue.origin === 'number') {
    return `${issue.inclusive ? 'must be at least' : 'must be greater than'} ${bound(Number(issue.minimum), unit)}`;
  }
  if (issue.code === 'invalid_type' && (issue.expected === 'number' || issue.expected === 'int')) {
    return issue.expected === 'int' ? 'must be a whole number' : 'must be a number';
  }
  return issue.message;
}

export function messagesFromZod(
  issues: readonly z.core.$ZodIssue[],
  units: Record<string, FieldUnit> = {},
): FieldMessages {
  const messages: FieldMessages = {};
  for (const issue of issues) {
    const path = issue.path.map(String).join('.');
    messages[path] ??= describeIssue(issue, units[path]);
  }
  return messages;
}

/** Server issues land next to their fields; a bare conflict or error lands under `fallbackField`. */
export function messagesFromApiError(error: unknown, fallbackField = ''): FieldMessages {
  if (!(error instanceof ApiError)) return { '': error instanceof Error ? error.message : String(error) };
  const messages: FieldMessages = {};
  error.issues.forEach((issue: ApiIssue) => {
    messages[issue.path] ??= issue.message;
  });
  if (!error.issues.length) messages[error.code === 'conflict' ? fallbackField : ''] = error.message;
  return messages;
}

/** Messages whose path matches no field on the form, joined for a form-level alert. */
export function unplacedMessages(messages: FieldMessages, fields: readonly string[]): string[] {
  return Object.entries(messages)
    .filter(([path]) => !fields.includes(path))
    .map(([path, message]) => (path ? `${path}: ${message}` : message));
}

/** One readable sentence for any thrown value, with the server's issues appended. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    // an issue that only repeats the message (a whole-file error filed under one argument) adds nothing
    const extra = error.issues.filter((i) => !error.message.includes(i.message));
    return [error.message, ...extra.map((i) => `${i.path}: ${i.message}`)].join(' ');
  }
  return error instanceof Error ? error.message : String(error);
}

/** Error codes every transport carries unchanged from the handlers to the caller. */
export type ApiErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'conflict'
  | 'unknown_method'
  | 'unauthorized'
  | 'unavailable'
  | 'internal';

export interface ApiIssue {
  /** where in the arguments, e.g. "settings.joints" */
  path: string;
  message: string;
}

export interface ApiErrorPayload {
  code: ApiErrorCode;
  message: string;
  issues?: ApiIssue[];
}

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly issues: ApiIssue[];
  constructor(code: ApiErrorCode, message: string, issues: ApiIssue[] = []) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.issues = issues;
  }
  toPayload(): ApiErrorPayload {
    return this.issues.length
      ? { code: this.code, message: this.message, issues: this.issues }
      : { code: this.code, message: this.message };
  }
  static fromPayload(p: ApiErrorPayload): ApiError {
    return new ApiError(p.code, p.message, p.issues ?? []);
  }
}

/** What crosses every transport: never a thrown Error, whose type IPC would lose. */
export type ApiEnvelope<T> = { ok: true; result: T } | { ok: false; error: ApiErrorPayload };

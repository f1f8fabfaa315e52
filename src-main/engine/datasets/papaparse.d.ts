// The part of papaparse 5 the trajectory reader uses (the package ships no types).
declare module 'papaparse' {
  export interface ParseError {
    type: 'Quotes' | 'Delimiter' | 'FieldMismatch';
    code: string;
    message: string;
    /** index of the row within the chunk's data */
    row?: number;
  }
  export interface ParseResult<T> {
    data: T[];
    errors: ParseError[];
    meta: { delimiter: string; linebreak: string; aborted: boolean; cursor: number };
  }
  export interface Parser {
    abort(): void;
    pause(): void;
    resume(): void;
  }
  export interface ParseConfig<T> {
    delimiter?: string;
    delimitersToGuess?: string[];
    header?: false;
    dynamicTyping?: false;
    skipEmptyLines?: boolean | 'greedy';
    chunk?(results: ParseResult<T>, parser: Parser): void;
    complete?(): void;
    error?(err: Error): void;
  }
  export interface UnparseConfig {
    quotes?: boolean;
    newline?: string;
    header?: boolean;
  }
  export function parse<T = string[]>(input: NodeJS.ReadableStream | string, config: ParseConfig<T>): void;
  export function unparse(data: { fields: string[]; data: unknown[][] }, config?: UnparseConfig): string;
  const Papa: { parse: typeof parse; unparse: typeof unparse };
  export default Papa;
}

import { computed, ref, type ComputedRef, type Ref } from 'vue';
import type { z } from 'zod';
import { messagesFromApiError, messagesFromZod, unplacedMessages, type FieldMessages } from '../validation';

export interface SchemaForm<S extends z.ZodType> {
  parsed: ComputedRef<ReturnType<S['safeParse']>>;
  /** the schema's message for a dotted field path, else the server's for it (as "params.<path>" or "<path>") */
  messageFor(field: string): string | undefined;
  /** server messages that belong to no field shown */
  formMessages: ComputedRef<string[]>;
  serverMessages: Ref<FieldMessages>;
  /** true while a submitted request is in flight */
  starting: Ref<boolean>;
  /**
   * Sends the parsed input, unless it does not parse, a request is in flight already or `ready`
   * says no; a refused request's issues land under their fields.
   */
  submit(send: (data: z.output<S>) => Promise<void>, ready?: () => boolean): Promise<void>;
}

/**
 * A form checked against the API's own schema as it is typed: `input` builds the object the
 * request would send (text fields already turned into numbers), and every issue lands next to
 * the field its path names. `fields` lists the paths the form shows, for the leftovers.
 */
export function useSchemaForm<S extends z.ZodType>(
  schema: S,
  input: () => unknown,
  fields: () => readonly string[],
  /** rewords the schema's messages where a form says it better */
  reword: (messages: FieldMessages) => FieldMessages = (messages) => messages,
): SchemaForm<S> {
  const serverMessages = ref<FieldMessages>({});
  const starting = ref(false);
  const parsed = computed(() => schema.safeParse(input()) as ReturnType<S['safeParse']>);
  const clientMessages = computed<FieldMessages>(() => (parsed.value.success ? {} : reword(messagesFromZod(parsed.value.error!.issues))));
  return {
    parsed,
    serverMessages,
    messageFor: (field) => clientMessages.value[field] ?? serverMessages.value[`params.${field}`] ?? serverMessages.value[field],
    formMessages: computed(() => {
      const shown = fields().flatMap((f) => [f, `params.${f}`]);
      return [...unplacedMessages(serverMessages.value, shown), ...unplacedMessages(clientMessages.value, shown)];
    }),
    starting,
    async submit(send, ready = () => true) {
      serverMessages.value = {};
      const result = parsed.value as z.ZodSafeParseResult<z.output<S>>;
      if (!result.success || starting.value || !ready()) return;
      starting.value = true;
      try {
        await send(result.data);
      } catch (error) {
        serverMessages.value = messagesFromApiError(error);
      } finally {
        starting.value = false;
      }
    },
  };
}

/** A text field's number: NaN for an empty field, so the schema reports it rather than a default hiding it. */
export function fieldNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text.trim());
}

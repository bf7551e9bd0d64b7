/** What every server action returns to its form (shared by server and client code). */
export type ActionState<T = unknown> = {
  ok: boolean;
  message: string | null;
  fieldErrors?: Record<string, string[] | undefined>;
  data?: T;
};

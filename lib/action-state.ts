/** What every server action returns to its form (shared by server and client code). */
export type ActionState<T = unknown> = {
  ok: boolean;
  message: string | null;
  fieldErrors?: Record<string, string[] | undefined>;
  data?: T;
};

/**
 * A server action as a form calls it. Components receive it as a prop from
 * their page (they never import app/), so the page shows which action a form
 * runs and the component stays reusable.
 */
export type FormAction<T = unknown> = (
  state: ActionState<T> | undefined,
  formData: FormData,
) => Promise<ActionState<T>>;

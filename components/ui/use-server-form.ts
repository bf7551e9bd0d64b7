"use client";

import { startTransition, useActionState, type FormEvent } from "react";
import type { ActionState } from "@/lib/action-state";

type Action<T> = (state: ActionState<T> | undefined, formData: FormData) => Promise<ActionState<T>>;

/**
 * A form bound to a server action that keeps what the person typed when the
 * server refuses it. (React resets a `<form action>` after every submission,
 * which would wipe a form on a validation error; submitting through onSubmit
 * does not.)
 */
export function useServerForm<T>(action: Action<T>) {
  const [state, dispatch, pending] = useActionState(action, undefined);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    startTransition(() => dispatch(data));
  };
  return { state, pending, onSubmit };
}

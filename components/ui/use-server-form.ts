"use client";

import { startTransition, useActionState, type FormEvent } from "react";
import type { FormAction } from "@/lib/action-state";

/**
 * A form bound to a server action that keeps what the person typed when the
 * server refuses it. (React resets a `<form action>` after every submission,
 * which would wipe a form on a validation error; submitting through onSubmit
 * does not.)
 */
export function useServerForm<T>(action: FormAction<T>) {
  const [state, dispatch, pending] = useActionState(action, undefined);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    startTransition(() => dispatch(data));
  };
  return { state, pending, onSubmit };
}

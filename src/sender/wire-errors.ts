// Errors cross between the sender and the producer as plain data and are
// rebuilt as the same classes with the same fields (code, broker, retriable,
// errorCode, option, a system error's errno and syscall...), message, stack
// and cause chain, so callers see one error whichever thread the sender runs
// on. ERROR_CLASSES holds every error class a user can receive.

import * as libraryErrors from '../errors.js';
import { BootstrapError } from '../network/cluster.js';
import type { PlainValue, SerializedError } from './messages.js';

type ErrorClass = new (...args: never[]) => Error;

function isErrorClass(v: unknown): v is ErrorClass {
  return typeof v === 'function' && (v === Error || v.prototype instanceof Error);
}

/**
 * Every error class by its name: all that errors.ts exports, BootstrapError
 * (the cluster's), and JavaScript's own (causes are often plain Errors).
 */
export const ERROR_CLASSES: Readonly<Record<string, ErrorClass>> = Object.fromEntries(
  [...Object.values(libraryErrors), BootstrapError, Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]
    .filter(isErrorClass)
    .map((cls) => [cls.name, cls]),
);

/** Deeper cause chains are cut here (and a cycle cannot loop). */
const MAX_CAUSE_DEPTH = 8;

function isPlain(v: unknown): v is PlainValue {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

export function serializeError(err: unknown, depth = 0): SerializedError {
  const e = err instanceof Error ? err : new Error(String(err));
  const fields: Record<string, PlainValue> = {};
  // Own enumerable fields: what the constructors assign (code, broker, ...)
  // and what Node puts on system errors (errno, syscall, address, port).
  for (const key of Object.keys(e)) {
    const v = (e as unknown as Record<string, unknown>)[key];
    if (isPlain(v)) fields[key] = v;
  }
  const out: SerializedError = { name: e.name, message: e.message, fields };
  if (typeof e.stack === 'string') out.stack = e.stack;
  if ('cause' in e && depth < MAX_CAUSE_DEPTH) {
    const cause: unknown = e.cause;
    out.cause = isPlain(cause) ? cause : serializeError(cause, depth + 1);
  }
  return out;
}

/**
 * Rebuilds the error as its class without running the class's constructor
 * (which would compose the message again): a native Error with the class's
 * prototype, then the same own fields. An unknown class becomes an Error
 * with the same name.
 */
export function deserializeError(s: SerializedError): Error {
  const cls = ERROR_CLASSES[s.name] ?? Error;
  const options = s.cause === undefined ? undefined : { cause: isPlain(s.cause) ? s.cause : deserializeError(s.cause) };
  const err = Reflect.construct(Error, [s.message, options], cls) as Error;
  Object.assign(err, s.fields);
  if (err.name !== s.name) err.name = s.name;
  if (s.stack !== undefined) Object.defineProperty(err, 'stack', { value: s.stack, writable: true, configurable: true });
  return err;
}

// The `logger` option: four functions taking (message, context), the shape of
// console.debug/info/warn/error. It stays on the producer's thread (functions
// cannot cross to the worker), so it is checked here and kept out of the
// sender's config.

import { ConfigError } from '../errors.js';

/**
 * `console` fits as it is. pino and bunyan take (context, message): adapt them,
 * e.g. `{ info: (msg, ctx) => pino.info(ctx, msg), ... }` for each level.
 */
export interface Logger {
  /** Detail for debugging: requests, retries, metadata changes. */
  debug(message: string, context: object): void;
  /** Connections opened, producer id assigned, and the like. */
  info(message: string, context: object): void;
  /** Something went wrong and the producer handles it (a retry, a reconnect). */
  warn(message: string, context: object): void;
  /** Something the application should hear of (a fatal error, a callback that threw). */
  error(message: string, context: object): void;
}

export type LogLevel = keyof Logger;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** The config check: an object with the four functions, or a ConfigError naming what is missing. */
export function checkLogger(name: string, v: unknown): void {
  if (typeof v !== 'object' || v === null) {
    throw new ConfigError(name, `must be an object with debug, info, warn and error functions (console fits), got ${v === null ? 'null' : typeof v}`);
  }
  const missing = LEVELS.filter((level) => typeof (v as Record<string, unknown>)[level] !== 'function');
  if (missing.length > 0) {
    throw new ConfigError(name, `must have debug, info, warn and error functions taking (message, context); ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not a function`);
  }
}

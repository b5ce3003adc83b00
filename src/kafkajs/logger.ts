// kafkajs's logging: levels, logCreator, namespaced loggers with
// setLogLevel, KAFKAJS_LOG_LEVEL, and the default creator's JSON lines. The
// producer's own logger (message, context) feeds the 'Producer' namespace.

import type { Logger } from '../diagnostics/logger.js';

export enum logLevel {
  NOTHING = 0,
  ERROR = 1,
  WARN = 2,
  INFO = 4,
  DEBUG = 5,
}

export interface LogEntry {
  namespace: string;
  level: logLevel;
  label: string;
  log: { timestamp: string; logger: 'kafkajs'; message: string; [key: string]: unknown };
}

export type logCreator = (level: logLevel) => (entry: LogEntry) => void;

export interface KafkaJSLogger {
  info(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
  namespace(namespace: string, level?: logLevel): KafkaJSLogger;
  setLogLevel(level: logLevel): void;
}

const LABELS: Record<Exclude<logLevel, logLevel.NOTHING>, string> = { [logLevel.ERROR]: 'ERROR', [logLevel.WARN]: 'WARN', [logLevel.INFO]: 'INFO', [logLevel.DEBUG]: 'DEBUG' };

/** kafkajs's default: one JSON line per entry on the console method of its level. */
export const consoleLogCreator: logCreator = () => (entry) => {
  const prefix = entry.namespace ? `[${entry.namespace}] ` : '';
  const line = JSON.stringify({ level: entry.label, ...entry.log, message: `${prefix}${entry.log.message}` });
  if (entry.level === logLevel.ERROR) console.error(line);
  else if (entry.level === logLevel.WARN) console.warn(line);
  else if (entry.level === logLevel.INFO) console.info(line);
  else console.log(line);
};

/** KAFKAJS_LOG_LEVEL, when it names a level, wins over the configured one (as in kafkajs). */
function effective(level: logLevel | undefined): logLevel | undefined {
  const fromEnv = (process.env.KAFKAJS_LOG_LEVEL ?? '').toUpperCase();
  return fromEnv in logLevel && Number.isNaN(Number(fromEnv)) ? logLevel[fromEnv as keyof typeof logLevel] : level;
}

export function createLogger(level: logLevel = logLevel.INFO, creator: logCreator = consoleLogCreator): KafkaJSLogger {
  let rootLevel = effective(level) ?? logLevel.INFO;
  const write = creator(rootLevel);
  const make = (namespace: string, own: logLevel | undefined): KafkaJSLogger => {
    const at =
      (level: Exclude<logLevel, logLevel.NOTHING>) =>
      (message: string, extra: object = {}): void => {
        if (level > (own ?? rootLevel)) return;
        write({ namespace, level, label: LABELS[level], log: { timestamp: new Date().toISOString(), logger: 'kafkajs', message, ...extra } });
      };
    return {
      info: at(logLevel.INFO),
      error: at(logLevel.ERROR),
      warn: at(logLevel.WARN),
      debug: at(logLevel.DEBUG),
      namespace: (ns, nsLevel) => make(ns, effective(nsLevel)),
      setLogLevel: (l) => {
        rootLevel = l;
      },
    };
  };
  return make('', undefined);
}

/** The producer's Logger writing into a kafkajs logger (its context becomes the entry's extra fields). */
export function asProducerLogger(logger: KafkaJSLogger): Logger {
  return {
    debug: (message, context) => logger.debug(message, context),
    info: (message, context) => logger.info(message, context),
    warn: (message, context) => logger.warn(message, context),
    error: (message, context) => logger.error(message, context),
  };
}

// The transactional producer's states (those of Java's
// TransactionManager.State) and the one table of transitions between them.
// Every change of state in src/transactions.ts is an event looked up here
// (as Java's isTransitionValid): a call the table does not list for the
// state is refused and changes nothing; nothing is ever restored.

export type TransactionState = 'uninitialized' | 'initializing' | 'ready' | 'in-transaction' | 'committing' | 'aborting' | 'abortable-error' | 'fatal-error';

/** The caller's calls, the sender's answers to their steps, and a record of the transaction failing. */
export type TransactionEvent =
  | 'init'
  | 'init-done'
  /** Timed out or refused for now: initTransactions() may be called again. */
  | 'init-failed'
  | 'begin'
  | 'send-offsets'
  | 'offsets-done'
  /** Refused, or timed out: the offsets may or may not be in the transaction, so it cannot commit. */
  | 'offsets-failed'
  | 'commit'
  | 'commit-done'
  /** A record failed, or the coordinator made the transaction abortable. */
  | 'commit-failed'
  /** Timed out: the commit may have happened; only commitTransaction() again settles it. */
  | 'commit-unknown'
  | 'abort'
  | 'abort-done'
  /** Timed out or refused for now: abortTransaction() again. */
  | 'abort-unknown'
  | 'record-failed'
  | 'fatal';

export const TRANSACTION_STATES: readonly TransactionState[] = ['uninitialized', 'initializing', 'ready', 'in-transaction', 'committing', 'aborting', 'abortable-error', 'fatal-error'];

export const TRANSACTION_EVENTS: readonly TransactionEvent[] = [
  'init',
  'init-done',
  'init-failed',
  'begin',
  'send-offsets',
  'offsets-done',
  'offsets-failed',
  'commit',
  'commit-done',
  'commit-failed',
  'commit-unknown',
  'abort',
  'abort-done',
  'abort-unknown',
  'record-failed',
  'fatal',
];

/**
 * state → event → next state. A commit or abort whose outcome is unknown
 * keeps its state, and the same call (only it) is allowed again to complete
 * that outcome, as Java's cached TransactionalRequestResult; records failing
 * during a commit are noted and make it fail once its flush is done.
 */
const TABLE: Readonly<Record<TransactionState, Readonly<Partial<Record<TransactionEvent, TransactionState>>>>> = {
  uninitialized: { init: 'initializing', fatal: 'fatal-error' },
  initializing: { 'init-done': 'ready', 'init-failed': 'uninitialized', fatal: 'fatal-error' },
  ready: { begin: 'in-transaction', fatal: 'fatal-error' },
  'in-transaction': {
    'send-offsets': 'in-transaction',
    'offsets-done': 'in-transaction',
    'offsets-failed': 'abortable-error',
    commit: 'committing',
    abort: 'aborting',
    'record-failed': 'abortable-error',
    fatal: 'fatal-error',
  },
  committing: {
    commit: 'committing',
    'commit-done': 'ready',
    'commit-failed': 'abortable-error',
    'commit-unknown': 'committing',
    'record-failed': 'committing',
    fatal: 'fatal-error',
  },
  aborting: { abort: 'aborting', 'abort-done': 'ready', 'abort-unknown': 'aborting', 'record-failed': 'aborting', fatal: 'fatal-error' },
  'abortable-error': {
    'offsets-done': 'abortable-error',
    'offsets-failed': 'abortable-error',
    abort: 'aborting',
    'record-failed': 'abortable-error',
    fatal: 'fatal-error',
  },
  'fatal-error': { fatal: 'fatal-error' },
};

/** The state `event` leads to from `state`, or null when the table does not allow it there. */
export function nextState(state: TransactionState, event: TransactionEvent): TransactionState | null {
  return TABLE[state][event] ?? null;
}

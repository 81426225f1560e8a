import type { ConversationState, ConversationTimerDurations } from '@rx-conversations/protocol';
import type { ConversationRow } from './rows.js';
import { serverError } from './ServerError.js';

/** Twilio's lower bounds: a conversation goes inactive after a minute at the soonest, closes after ten. */
const MIN_MS = { inactive: 60_000, closed: 600_000 } as const;
/** Beyond this a timer is a mistake (and would overflow nothing, but helps no one): ten years. */
const MAX_MS = 10 * 365 * 24 * 3600_000;

const UNIT_MS = { W: 7 * 24 * 3600_000, D: 24 * 3600_000, H: 3600_000, M: 60_000, S: 1000 } as const;

/**
 * Milliseconds of an ISO 8601 duration in weeks, days, hours, minutes and seconds (`P1D`, `PT10M`); the
 * wire schema has checked its form. Years and months are refused by that schema: their length varies.
 */
export function durationMs(duration: string): number {
  const [date = '', time = ''] = duration.slice(1).split('T');
  let ms = 0;
  for (const [part, units] of [[date, 'WD'], [time, 'HMS']] as const) {
    for (const match of part.matchAll(/(\d+)([A-Z])/g)) {
      if (!units.includes(match[2]!)) throw serverError('invalid_argument', `${duration} is not a duration in weeks, days, hours, minutes and seconds`, { path: 'args.timers' });
      ms += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    }
  }
  return ms;
}

/** The timers' durations once `given` applies over what the row has; out of bounds: `invalid_argument`. */
export function timerDurations(row: Pick<ConversationRow, 'timer_inactive_ms' | 'timer_closed_ms'>, given: ConversationTimerDurations | undefined): {
  inactive: number | null;
  closed: number | null;
} {
  const pick = (name: 'inactive' | 'closed', stored: number | null): number | null => {
    const value = given?.[name];
    if (value === undefined) return stored;
    if (value === null) return null;
    const ms = durationMs(value);
    if (ms < MIN_MS[name] || ms > MAX_MS) {
      throw serverError('invalid_argument', `the ${name} timer must be between ${MIN_MS[name] / 60_000} minutes and ten years`, { path: `args.timers.${name}` });
    }
    return ms;
  };
  return { inactive: pick('inactive', row.timer_inactive_ms), closed: pick('closed', row.timer_closed_ms) };
}

/**
 * The row with its timers started from `now` for the state it is in: an active conversation runs both,
 * an inactive one only the closed timer, a closed one none. Called whenever the state, the timers or the
 * latest message change (each message starts the timers again).
 */
export function withTimersFrom<R extends ConversationRow>(row: R, now: number): R {
  return {
    ...row,
    inactive_at: row.state === 'active' && row.timer_inactive_ms !== null ? now + row.timer_inactive_ms : null,
    closed_at: row.state !== 'closed' && row.timer_closed_ms !== null ? now + row.timer_closed_ms : null,
  };
}

/** The earliest of a row's running timers, for {@link WriteBatch.deadline}; null when none runs. */
export function nextDeadline(row: ConversationRow): number | null {
  if (row.inactive_at === null) return row.closed_at;
  return row.closed_at === null ? row.inactive_at : Math.min(row.inactive_at, row.closed_at);
}

/** Whether the state may move from `from` to `to`: anything but out of `closed`. */
export function checkStateChange(from: ConversationState, to: ConversationState): void {
  if (from === 'closed' && to !== 'closed') throw serverError('state_change_invalid', 'a closed conversation cannot change state again', { path: 'args.state' });
}

/** `conversation_closed` for a change to a closed conversation's shared content. */
export function requireOpen(row: ConversationRow): void {
  if (row.state === 'closed') throw serverError('conversation_closed', 'the conversation is closed: it is read-only');
}

/** The state the timers have reached at `now`, or null when none has run out. */
export function dueState(row: ConversationRow, now: number): ConversationState | null {
  if (row.closed_at !== null && row.closed_at <= now && row.state !== 'closed') return 'closed';
  if (row.inactive_at !== null && row.inactive_at <= now && row.state === 'active') return 'inactive';
  return null;
}

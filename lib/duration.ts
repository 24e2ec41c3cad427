import { UsageError } from './errors.js'
/**
 * A length of time: a number of seconds, or a string such as `'15 minutes'`,
 * `'15m'`, `'1 hour'`, `'30d'`.
 */
export type Duration = number | string

const UNIT_SECONDS: Record<string, number> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400,
  w: 604800, week: 604800, weeks: 604800,
}

/** The pattern a duration string must match; shared with the options schema. */
export const DURATION_PATTERN = `^\\s*\\d+(\\.\\d+)?\\s*(${Object.keys(UNIT_SECONDS).join('|')})\\s*$`
const DURATION_RE = new RegExp(DURATION_PATTERN, 'i')

/**
 * Converts a {@link Duration} to whole seconds (rounded down, at least the
 * value given when that is a number). Throws TypeError on a value the options
 * schema would have refused, so misuse from code is loud.
 */
export function toSeconds(value: Duration): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new UsageError(`invalid duration: ${value}`)
    return value
  }
  const match = DURATION_RE.exec(value)
  if (!match) throw new UsageError(`invalid duration: ${JSON.stringify(value)}`)
  const amount = Number.parseFloat(value)
  const unit = UNIT_SECONDS[match[2]!.toLowerCase()]!
  return Math.floor(amount * unit)
}

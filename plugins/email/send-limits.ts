/**
 * The send limits every mail path charges: per client address (`sender`),
 * then per recipient (`recipient`, or another per-subject scope). A limited
 * request is not sent but is answered like a sent one (the limiter has
 * emitted `rate-limit:exceeded`), so a limit says nothing about the address.
 * Both mail plugins declare the two scopes under their own names.
 */
import { isAuthError, type PluginContext } from '../../lib/index.js'

/** True when the mail may go; false when a limit refused it. Any other failure propagates. */
export async function withinSendLimits(
  ctx: PluginContext,
  recipient: string,
  clientAddress: string | undefined,
  scope = 'recipient',
): Promise<boolean> {
  try {
    if (clientAddress !== undefined) await ctx.limit('sender', clientAddress)
    await ctx.limitSubject(scope, recipient)
    return true
  } catch (err) {
    if (isAuthError(err, 'ERR_AUTH_RATE_LIMITED')) return false
    throw err
  }
}

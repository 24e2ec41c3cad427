/**
 * The nodemailer side of the SMTP mailer. nodemailer is an optional peer
 * dependency, imported the first time a transport is needed, so neither
 * `import 'authcore'` nor an app without mail ever loads it.
 */
import { UsageError } from '../../../lib/index.js'
import type { SmtpSettings } from './options.js'

/** What the mailer uses of a nodemailer transporter. */
export interface SmtpTransport {
  sendMail(mail: OutgoingMail): Promise<{ rejected?: unknown[] }>
  verify(): Promise<unknown>
  close(): void
}

/** One message as handed to nodemailer. */
export interface OutgoingMail {
  from: { name: string; address: string }
  to: { name: string; address: string }
  subject: string
  text: string
  html?: string
  headers: Record<string, string>
}

/**
 * Imports nodemailer and creates a transport for `settings`. Rejects with a
 * `UsageError` when nodemailer is not installed (a set-up mistake to fix, not
 * a mail outage to retry).
 */
export async function createSmtpTransport(settings: SmtpSettings, mailer: string): Promise<SmtpTransport> {
  const nodemailer = await import('nodemailer').catch((cause: unknown) => {
    throw new UsageError(`${mailer}: the nodemailer package is needed (npm install nodemailer)`, { cause })
  })
  const { timeouts, pool } = settings
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    requireTLS: settings.requireTLS,
    ...(settings.auth && { auth: { user: settings.auth.user, pass: settings.auth.pass } }),
    connectionTimeout: timeouts.connection,
    dnsTimeout: timeouts.connection,
    greetingTimeout: timeouts.greeting,
    socketTimeout: timeouts.socket,
    ...(pool ? { pool: true as const, maxConnections: pool.maxConnections, maxMessages: pool.maxMessages } : {}),
    // Never log: nodemailer's debug output holds whole messages, links included.
    logger: false,
    debug: false,
    // Messages carry text only; nothing may make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  })
  // A transport reports some failures (a pooled connection dropping while
  // idle) as 'error' events; with no listener Node would throw them and end
  // the process. The sends they affect reject, and are mapped, on their own.
  transport.on('error', () => {})
  return transport as unknown as SmtpTransport
}

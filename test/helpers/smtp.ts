// SMTP servers for the mailer tests, all in-process on 127.0.0.1: a real
// smtp-server that parses what it receives with mailparser, a port nobody
// listens on, and raw TCP servers that misbehave (drop, or never greet).
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer, type SMTPServerAddress } from 'smtp-server'

/** A running smtp-server and what it saw. */
export interface TestSmtpServer {
  readonly url: string
  /** Parsed messages, in the order their DATA completed. */
  readonly received: ParsedMail[]
  /** Connections opened to it so far. */
  readonly connections: () => number
  /** Refuses the next `n` recipients with `550 5.1.1`. */
  rejectRecipients(n: number): void
  close(): Promise<void>
}

/**
 * Starts smtp-server on a free loopback port, plain text: no STARTTLS
 * offered, so nothing needs a certificate. AUTH is optional unless
 * `credentials` are given; then it is required, and allowed without TLS
 * (loopback only).
 */
export async function startSmtpServer(credentials?: { user: string; pass: string }): Promise<TestSmtpServer> {
  const received: ParsedMail[] = []
  let connections = 0
  let rejecting = 0
  const server = new SMTPServer({
    authOptional: credentials === undefined,
    allowInsecureAuth: true,
    disabledCommands: credentials === undefined ? ['STARTTLS', 'AUTH'] : ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      const ok = auth.username === credentials?.user && auth.password === credentials?.pass
      callback(ok ? null : Object.assign(new Error('Invalid credentials'), { responseCode: 535 }), ok ? { user: auth.username } : undefined)
    },
    onConnect(_session, callback) {
      connections++
      callback()
    },
    onRcptTo(_address: SMTPServerAddress, _session, callback) {
      if (rejecting > 0) {
        rejecting--
        callback(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }))
        return
      }
      callback()
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => { received.push(mail); callback() },
        (err: Error) => callback(err),
      )
    },
  })
  const port = await listen(server.server)
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    connections: () => connections,
    rejectRecipients: (n) => { rejecting = n },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** A loopback port that was free a moment ago and has no listener. */
export async function deadPort(): Promise<number> {
  const server = createServer()
  const port = await listen(server)
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A TCP server that treats every connection with `onSocket`; `close()` ends them too. */
export async function rawServer(onSocket: (socket: Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    onSocket(socket)
  })
  const port = await listen(server)
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

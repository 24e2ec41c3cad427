/**
 * The HTTP routes of the email-link method, under `basePath`. Every one is
 * a POST: opening a link (a GET or HEAD, by a person or a mail scanner)
 * consumes nothing, and is answered by the app's page, not by these.
 */
import { jsonResponse, type RouteDeclaration, type SignedIn } from '../../../lib/index.js'

/** The operations the routes call, already bound to the plugin. */
export interface RouteOperations {
  /** Asks for a link or code; limited inside, so it answers alike when limited. */
  request(input: { email: string; code?: boolean }, clientAddress: string | undefined): Promise<void>
  /** Signs in with a link's token (the router has charged the redeem scope). */
  signInWithLink(token: string, name: string | undefined): Promise<SignedIn>
  /** Signs in with a code (the router has charged the redeem scope). */
  signInWithCode(email: string, code: string, name: string | undefined): Promise<SignedIn>
}

const email = { type: 'string', minLength: 1, maxLength: 1024 }
const name = { type: 'string', minLength: 1, maxLength: 200 }

const requestInput = {
  type: 'object',
  additionalProperties: false,
  required: ['email'],
  properties: { email, code: { type: 'boolean' } },
}

const linkInput = {
  type: 'object',
  additionalProperties: false,
  required: ['token'],
  properties: { token: { type: 'string', minLength: 1, maxLength: 128 }, name },
}

const codeInput = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'code'],
  properties: { email, code: { type: 'string', minLength: 1, maxLength: 32 }, name },
}

/** The routes: request, then sign in with the link's token or the code. */
export function emailLinkRoutes(ops: RouteOperations): RouteDeclaration[] {
  return [
    {
      method: 'POST',
      path: '/email-link/request',
      input: requestInput,
      // Limited inside, after the answer is fixed: a limited request must answer like any other.
      handler: async (call) => {
        await ops.request(call.body as { email: string; code?: boolean }, call.context.clientAddress)
        return jsonResponse(202, { ok: true })
      },
    },
    {
      method: 'POST',
      path: '/email-link/sign-in',
      input: linkInput,
      rateLimit: 'redeem',
      handler: async (call) => {
        const body = call.body as { token: string; name?: string }
        return ops.signInWithLink(body.token, body.name)
      },
    },
    {
      method: 'POST',
      path: '/email-link/code',
      input: codeInput,
      rateLimit: 'redeem',
      handler: async (call) => {
        const body = call.body as { email: string; code: string; name?: string }
        return ops.signInWithCode(body.email, body.code, body.name)
      },
    },
  ]
}

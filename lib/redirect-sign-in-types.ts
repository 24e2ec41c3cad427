/**
 * Redirect sign-in from code, for apps that serve the steps from their own
 * handlers (a server-rendered app, a framework route) instead of mounting
 * AuthCore's routes: the same flow, checks and answers as
 * `GET /oauth/:name/authorize`, `GET /oauth/:name/callback` and
 * `POST /oauth/token`, with the cookies handed to the app to send and read.
 */
import type { SignedIn } from './operations/credentials.js'

/** The redirect sign-in flow's operations (`auth.oauth`). */
export interface RedirectSignIn {
  /**
   * Starts a sign-in with redirect method `method`, going back to
   * `redirectTo` (one of `redirectUrls`, exactly). Send the browser to
   * `url` with the `Set-Cookie` header value `cookie`.
   */
  authorize(method: string, redirectTo: string): Promise<{ url: string; cookie: string }>
  /**
   * Handles the provider's redirect back: `url` is the callback request's
   * full URL, `cookieHeader` its `Cookie` header. Answers where to send the
   * browser (`redirect_to?code=` or `?error=`) and the `Set-Cookie` values
   * to send with it. An attempt that is unknown throws its AuthError.
   */
  callback(method: string, url: string, cookieHeader: string | null | undefined): Promise<{ location: string; cookies: string[] }>
  /**
   * Trades the one-time code for tokens. `cookieHeader` is the `Cookie`
   * header of the browser's request, which must hold the code cookie the
   * callback set (it is scoped to `{basePath}/oauth/token` under `appUrl`:
   * call this from a handler at that path).
   */
  exchange(code: string, cookieHeader: string | null | undefined): Promise<SignedIn>
}

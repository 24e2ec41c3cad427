/**
 * Reads what the configured methods and plugins contribute (routes,
 * rate-limit scopes, error codes, events, hooks, requirements), checks each
 * declaration, and finds conflicts, once, at `new AuthCore()`. A conflict
 * names both owners, so a misconfiguration fails at start-up, never on a
 * request.
 */
import { AuthError, registerAll, UsageError, type ErrorCodeDeclaration } from './errors.js'
import { HOOK_NAMES } from './hooks.js'
import type { AuthPlugin, PluginRequirement, RouteDeclaration, ScopeDefault } from './plugin-types.js'
import type { SignInMethod } from './method-types.js'
import { toSeconds } from './duration.js'

/** A route with the plugin that declared it (`'core'` for the core's own). */
export interface OwnedRoute {
  readonly owner: string
  readonly route: RouteDeclaration
}

/** Everything the plugins declared, checked. */
export interface Contributions {
  readonly routes: readonly OwnedRoute[]
  /** Rate-limit scope defaults by full name (`<plugin>:<scope>`), windows in seconds. */
  readonly scopes: ReadonlyMap<string, { readonly limit: number; readonly window: number; readonly owner: string }>
  /** Declared events by name, with their owner. */
  readonly events: ReadonlyMap<string, string>
  /** Declared hook names, with their owner. */
  readonly hooks: ReadonlyMap<string, string>
  /** What each plugin requires, by plugin name. */
  readonly requires: ReadonlyMap<string, readonly PluginRequirement[]>
}

/** Names a plugin may have: they become prefixes of scopes and events. */
const PLUGIN_NAME = /^[a-z][a-z0-9-]{0,31}$/
/** Names a plugin may not take: they prefix the core's own events, or name the core. */
const RESERVED_NAMES = new Set(['core', 'auth', 'authcore', 'user', 'users', 'session', 'sessions', 'rate-limit', 'error', 'http'])
const SCOPE_NAME = /^[a-z][a-z0-9-]{0,31}$/
const EVENT_TAIL = /^[a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)*$/
const HOOK_NAME = /^before[A-Z][A-Za-z0-9]*$/
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
const LITERAL_SEGMENT = /^[A-Za-z0-9._~-]+$/
const PARAM_SEGMENT = /^:[a-zA-Z][a-zA-Z0-9]*$/
const REQUIREMENTS = new Set<PluginRequirement>(['sessions', 'oneTimeTokens', 'credentials', 'mailer'])

const conflict = (what: string, first: string, second: string) =>
  new AuthError('ERR_AUTH_PLUGIN_CONFLICT', `${what} is declared by both '${first}' and '${second}'`)

/** The route's shape for conflicts: parameters are one shape whatever their names. */
export function routeShape(method: string, path: string): string {
  return `${method} ${path.replace(/:[a-zA-Z][a-zA-Z0-9]*/g, ':')}`
}

function checkRoute(owner: string, route: RouteDeclaration, scopes: readonly string[]): void {
  const where = `plugin '${owner}': route ${String(route?.method)} ${String(route?.path)}`
  if (route === null || typeof route !== 'object') throw new UsageError(`plugin '${owner}': each route must be an object`)
  if (!METHODS.has(route.method)) throw new UsageError(`${where}: method must be one of ${[...METHODS].join(', ')}`)
  if (typeof route.path !== 'string' || !route.path.startsWith('/') || route.path.length > 256) {
    throw new UsageError(`${where}: path must start with '/'`)
  }
  const segments = route.path.slice(1).split('/')
  if (!segments.every((s) => LITERAL_SEGMENT.test(s) || PARAM_SEGMENT.test(s)) || segments.some((s) => s === '.' || s === '..')) {
    throw new UsageError(`${where}: path segments must be literal (letters, digits, '.', '_', '~', '-') or ':name'`)
  }
  if (typeof route.handler !== 'function') throw new UsageError(`${where}: handler must be a function`)
  if (route.input !== undefined && (route.input === null || typeof route.input !== 'object')) throw new UsageError(`${where}: input must be a JSON Schema object`)
  if (route.auth !== undefined && route.auth !== 'bearer') throw new UsageError(`${where}: auth must be 'bearer' when given`)
  if (route.rateLimit !== undefined && !scopes.includes(route.rateLimit)) {
    throw new UsageError(`${where}: rateLimit '${String(route.rateLimit)}' is not one of the plugin's scopes (${scopes.join(', ') || 'none declared'})`)
  }
}

function checkScope(owner: string, name: string, scope: ScopeDefault): { limit: number; window: number } {
  if (!SCOPE_NAME.test(name)) throw new UsageError(`plugin '${owner}': rate-limit scope '${name}' must be lower-case letters, digits and '-'`)
  if (!Number.isSafeInteger(scope?.limit) || scope.limit < 1) throw new UsageError(`plugin '${owner}': rate-limit scope '${name}' needs a positive integer limit`)
  let window: number
  try {
    window = toSeconds(scope.window)
  } catch {
    throw new UsageError(`plugin '${owner}': rate-limit scope '${name}' needs a window (seconds or a duration such as '10 minutes')`)
  }
  return { limit: scope.limit, window }
}

/**
 * Checks and gathers the contributions of `owners` (methods first, then
 * plugins, in the order given) after the core's own routes.
 * @throws UsageError for a malformed declaration, AuthError `ERR_AUTH_PLUGIN_CONFLICT` for a clash.
 */
export function collectContributions(coreRoutes: readonly RouteDeclaration[], owners: readonly (AuthPlugin | SignInMethod)[]): Contributions {
  const routes: OwnedRoute[] = coreRoutes.map((route) => ({ owner: 'core', route }))
  const shapes = new Map<string, string>(coreRoutes.map((r) => [routeShape(r.method, r.path), 'core']))
  const scopes = new Map<string, { limit: number; window: number; owner: string }>()
  const events = new Map<string, string>()
  const hooks = new Map<string, string>()
  const requires = new Map<string, readonly PluginRequirement[]>()
  const names = new Set<string>(['core'])
  // Registered only once every declaration has passed: a failed construction registers nothing.
  const errorCodes: [string, Readonly<Record<string, ErrorCodeDeclaration>>][] = []

  for (const owner of owners) {
    const { name } = owner
    if (typeof name !== 'string' || !PLUGIN_NAME.test(name)) {
      throw new UsageError(`plugin and method names must be lower-case letters, digits and '-' (got '${String(name)}')`)
    }
    if (RESERVED_NAMES.has(name)) throw new UsageError(`the plugin name '${name}' is reserved by the core`)
    if (names.has(name)) throw conflict(`The name '${name}'`, name, name)
    names.add(name)

    const declaredScopes = Object.entries(owner.rateLimits ?? {})
    for (const [short, scope] of declaredScopes) scopes.set(`${name}:${short}`, { ...checkScope(name, short, scope), owner: name })
    for (const route of owner.routes ?? []) {
      checkRoute(name, route, declaredScopes.map(([short]) => short))
      const shape = routeShape(route.method, route.path)
      const first = shapes.get(shape)
      if (first !== undefined) throw conflict(`The route ${route.method} ${route.path}`, first, name)
      shapes.set(shape, name)
      // A frozen copy: the router trusts what was checked here, so a later change to the plugin's object cannot loosen it.
      routes.push(Object.freeze({ owner: name, route: Object.freeze({ ...route }) }))
    }
    if (owner.errors !== undefined) errorCodes.push([name, owner.errors])
    for (const event of owner.events ?? []) {
      if (typeof event !== 'string' || !event.startsWith(`${name}:`) || !EVENT_TAIL.test(event.slice(name.length + 1))) {
        throw new UsageError(`plugin '${name}': event '${String(event)}' must be named '${name}:<what>'`)
      }
      events.set(event, name)
    }
    for (const hook of owner.hooks ?? []) {
      if (typeof hook !== 'string' || !HOOK_NAME.test(hook)) throw new UsageError(`plugin '${name}': hook '${String(hook)}' must be named 'before<What>'`)
      const first = hooks.get(hook) ?? ((HOOK_NAMES as readonly string[]).includes(hook) ? 'core' : undefined)
      if (first !== undefined) throw conflict(`The hook '${hook}'`, first, name)
      hooks.set(hook, name)
    }
    const needs = owner.requires ?? []
    for (const need of needs) {
      if (!REQUIREMENTS.has(need)) throw new UsageError(`plugin '${name}': requires '${String(need)}' is not one of ${[...REQUIREMENTS].join(', ')}`)
    }
    requires.set(name, Object.freeze([...needs]))
  }
  registerAll(errorCodes)
  return Object.freeze({ routes: Object.freeze(routes), scopes, events, hooks, requires })
}

import { AuthError, isAuthError, UsageError } from './errors.js'

/**
 * Hook points and what each receives. Hooks run in registration order and are
 * awaited before the operation writes anything. Throwing an AuthError vetoes
 * the operation with that error; any other throw becomes
 * `ERR_AUTH_HOOK_FAILED` (the original is its `cause`). Plugins add points:
 * they declare the names (`hooks` on the plugin object) and type them by
 * augmenting this interface.
 */
export interface AuthHooks {
  /**
   * Before a user is created. `input.name` may be changed; the email is the
   * canonical, validated one. Veto to refuse (for example a blocked domain).
   */
  beforeSignUp: { input: { email: string; name: string; role: string } }
  /** Before a password is checked. Veto to refuse the attempt. */
  beforeSignIn: { input: { email: string } }
  /** Before a profile is changed by `editProfile`. Veto to refuse the change. */
  beforeEditProfile: { userId: string; changes: { email?: string; name?: string; pass?: true } }
}

/** A hook name: one of a closed list. */
export type HookName = keyof AuthHooks

/** A hook function for point `K`. */
export type Hook<K extends HookName> = (context: AuthHooks[K]) => void | Promise<void>

/** The core's hook names; an instance also accepts those its plugins declare. */
export const HOOK_NAMES: readonly HookName[] = ['beforeSignUp', 'beforeSignIn', 'beforeEditProfile']

/** Registered hooks, run in order. */
export class HookRunner {
  readonly #hooks = new Map<HookName, Hook<HookName>[]>()
  readonly #names: readonly string[]

  /** @param pluginHooks Hook names the configured plugins declare, beside the core's. */
  constructor(pluginHooks: Iterable<string> = []) {
    this.#names = Object.freeze([...HOOK_NAMES, ...pluginHooks])
  }

  /** Registers `fn` for `name`; an unknown name or a non-function is a UsageError. */
  add<K extends HookName>(name: K, fn: Hook<K>): void {
    if (!this.#names.includes(name)) {
      throw new UsageError(`unknown hook '${String(name)}'; hooks are: ${this.#names.join(', ')}`)
    }
    if (typeof fn !== 'function') throw new UsageError(`hook('${name}', fn) needs a function`)
    const list = this.#hooks.get(name) ?? []
    list.push(fn as Hook<HookName>)
    this.#hooks.set(name, list)
  }

  /** Removes one registration of `fn` for `name` (a plugin's, when its set-up failed). */
  remove<K extends HookName>(name: K, fn: Hook<K>): void {
    const list = this.#hooks.get(name)
    const at = list?.indexOf(fn as Hook<HookName>) ?? -1
    if (at >= 0) list!.splice(at, 1)
  }

  /** Runs every hook for `name` in order; the first to throw vetoes. */
  async run<K extends HookName>(name: K, context: AuthHooks[K]): Promise<void> {
    for (const fn of this.#hooks.get(name) ?? []) {
      try {
        await fn(context)
      } catch (err) {
        if (isAuthError(err)) throw err
        throw new AuthError('ERR_AUTH_HOOK_FAILED', `The ${name} hook failed`, { cause: err })
      }
    }
  }
}

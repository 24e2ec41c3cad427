/**
 * The bundled list of common passwords: the ~49,000 most common passwords
 * from leaked-password corpora, as shipped (MIT licence) by the
 * `@zxcvbn-ts/language-common` package. Loaded once, on first use, into a
 * Set of lower-case entries.
 */
let common: Promise<ReadonlySet<string>> | undefined

/** The common-password set, loaded on first call. */
export function commonPasswords(): Promise<ReadonlySet<string>> {
  common ??= import('@zxcvbn-ts/language-common').then(({ dictionary }) => {
    const words = (dictionary as Record<string, unknown>)['passwords-common']
    if (!Array.isArray(words) || words.length < 10_000) throw new Error('the common-password list is missing or too short')
    return new Set(words.map((w) => String(w).toLowerCase()))
  })
  return common
}

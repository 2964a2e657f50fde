/**
 * The one base of every room's typed error: a `domain` (which room raised it), a `code` for
 * programs and a message a nurse or an administrator can act on. The service maps
 * (domain, code) onto its API error codes in one table (src/service/errors.ts).
 */
export class CodedError<D extends string = string, C extends string = string> extends Error {
  constructor(
    readonly domain: D,
    readonly code: C,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

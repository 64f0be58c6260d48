/** One entry of an API's error catalogue: the HTTP status it answers with, and a message for a person. */
export interface ErrorEntry {
  readonly status: number
  readonly message: string
}

/** The JSON body of an error answer; `field` names the request field at fault. */
export interface CataloguedErrorBody {
  error: { code: string; message: string; field?: string }
}

/**
 * An error of an HTTP API with a catalogue of stable codes (the service's API, the broker's admin API): the code a
 * client may switch on, the status from the catalogue, and the catalogue's message unless `detail` says more. Each API
 * answers it as `{ "error": { "code", "message", "field"? } }`.
 */
export class CataloguedError<Code extends string> extends Error {
  readonly status: number

  /**
   * @param detail what exactly is wrong, replacing the catalogue's generic message
   * @param field the request field at fault, for an invalid-field code
   */
  constructor(
    catalogue: Readonly<Record<Code, ErrorEntry>>,
    readonly code: Code,
    detail?: string,
    readonly field?: string
  ) {
    super(detail ?? catalogue[code].message)
    this.status = catalogue[code].status
  }

  /** What the API answers, with `status`. */
  get body(): CataloguedErrorBody {
    const { code, message, field } = this
    return { error: { code, message, ...(field === undefined ? {} : { field }) } }
  }
}

/** A mistake on the command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

/** A command cannot do what was asked (a damaged store, a port in use, a bad file): printed as it is, exit code 1. */
export class CommandError extends Error {}

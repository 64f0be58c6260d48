/** A payload or topic that does not follow the device contract; the message says what is wrong. */
export class ContractError extends Error {}

/**
 * Why a value cannot go into its column, as a sentence fragment for the error message.
 *
 * @example
 * ```ts
 * new ValueProblem('is out of range for int');  // encodeValue turns it into an InvalidValueError
 * ```
 */
export class ValueProblem {
  constructor(readonly text: string) {}
}

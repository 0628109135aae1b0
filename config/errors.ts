/**
 * A problem with what a person typed (config file, workflow input, CLI argument). Its message is
 * one sentence that names the field and the fix; activities turn it into a non-retryable failure.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly kind: 'InvalidConfig' | 'InvalidInput' | 'InvalidArgument',
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

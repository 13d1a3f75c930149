/**
 * A KMS service error as the JSON 1.1 protocol reports it: HTTP 400 with `__type` naming the
 * exception, which the SDK turns into the exception class of the same name.
 */
export class KmsError extends Error {
  override readonly name = 'KmsError';

  constructor(
    readonly type: KmsErrorType,
    message: string,
  ) {
    super(message);
  }
}

export type KmsErrorType =
  | 'ValidationException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'NotFoundException'
  | 'InvalidKeyUsageException'
  | 'InvalidCiphertextException'
  | 'KMSInvalidSignatureException'
  | 'IncorrectKeyException'
  | 'KMSInvalidMacException';

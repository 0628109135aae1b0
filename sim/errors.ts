// One error type for every service: the protocol layer renders it in the wire shape of the
// service that raised it, so handlers only say which AWS code and HTTP status apply.
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra members some services put next to the message (EFS's FileSystemId, S3's Key...). */
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** Default HTTP status for an injected error code when the fault spec gives none. */
export function defaultStatusFor(code: string): number {
  if (/^(ServiceUnavailable|SlowDown|ServiceUnavailableException)$/.test(code)) return 503;
  if (/^(InternalServerError|InternalFailure|InternalError|InternalServiceError|ServerException)$/.test(code)) return 500;
  if (/NotFound|NoSuch/.test(code)) return 404;
  if (/AccessDenied/.test(code)) return 403;
  return 400;
}

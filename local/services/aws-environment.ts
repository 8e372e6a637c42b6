/** Where the twin's emulated services listen. */
export interface ServiceEndpoints {
  /** The twin's own server: Lambda, Step Functions, EventBridge, Firehose, HTTP APIs, function URLs. */
  readonly twinUrl: string;
  readonly dynamodb: string;
  readonly s3: string;
}

/**
 * Credentials every local client uses. s3rver accepts only its own access key (it checks the key id, not the
 * signature); dynalite and the twin accept anything.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * The environment that points unchanged AWS SDK v3 code at the twin: the SDK reads AWS_ENDPOINT_URL and the
 * service-specific AWS_ENDPOINT_URL_<SERVICE> variables. Credentials are s3rver's (see LOCAL_CREDENTIALS). Request
 * checksums are only sent when required because the local S3 server does not understand aws-chunked uploads.
 * AWS_S3_FORCE_PATH_STYLE is read by our S3 client factory (the SDK itself has no such variable): the local S3
 * server has no virtual-host DNS.
 */
export function awsClientEnvironment(endpoints: ServiceEndpoints, region: string): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL: endpoints.twinUrl,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_S3_FORCE_PATH_STYLE: 'true',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Process basics every child (function environment, container) needs, taken from the twin's own environment. */
export function hostBasics(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG'];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : [])));
}

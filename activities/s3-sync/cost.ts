// S3 Standard prices in us-east-1 (https://aws.amazon.com/s3/pricing/, as of 2026): PUT, COPY,
// POST and LIST requests $0.005 per 1,000; GET, HEAD and all other requests $0.0004 per 1,000;
// DELETE and data transfer in are free; storage $0.023 per GB-month for the first 50 TB. Other
// regions differ by a few percent, which an estimate can live with.
export const S3_PRICES = {
  putPer1000: 0.005,
  getPer1000: 0.0004,
  storagePerGbMonth: 0.023,
} as const;

/** Requests of one sync by price class. */
export interface S3Requests {
  /** PUT, POST, LIST: PutObject, Create/Upload/Complete multipart, ListObjectsV2, ListParts, ListMultipartUploads. */
  put: number;
  /** GET and HEAD: HeadObject, HeadBucket. */
  get: number;
  /** DeleteObjects and AbortMultipartUpload: free. */
  delete: number;
}

export const noRequests = (): S3Requests => ({ put: 0, get: 0, delete: 0 });

export function addRequests(a: S3Requests, b: S3Requests): S3Requests {
  return { put: a.put + b.put, get: a.get + b.get, delete: a.delete + b.delete };
}

/** USD: this run's requests, plus a month of storing `storedBytes`. */
export function estimateS3Cost(requests: S3Requests, storedBytes: number): { requests: number; storagePerMonth: number } {
  const round = (n: number): number => Math.round(n * 1e6) / 1e6;
  return {
    requests: round((requests.put / 1000) * S3_PRICES.putPer1000 + (requests.get / 1000) * S3_PRICES.getPer1000),
    storagePerMonth: round((storedBytes / 1e9) * S3_PRICES.storagePerGbMonth),
  };
}

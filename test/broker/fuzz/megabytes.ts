export const MB = 1024 * 1024

/** Bytes as megabytes, for reports: `12.3 MB`. */
export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`
}

/**
 * Saves bytes as a file through a Blob URL and an `<a download>`: a plain download in a browser,
 * the save dialog in Electron. The URL is revoked once the click has been handled.
 */
export function saveBytes(bytes: Uint8Array, fileName: string, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Saves text (a CSV or JSON export) as a UTF-8 file. */
export function saveText(content: string, fileName: string): void {
  const type = fileName.endsWith('.json') ? 'application/json' : fileName.endsWith('.csv') ? 'text/csv' : 'text/plain';
  saveBytes(new TextEncoder().encode(content), fileName, type);
}

export interface MultipartPart {
  readonly name: string;
  readonly filename: string | undefined;
  readonly data: Buffer;
}

/**
 * A small multipart/form-data reader, tolerant of how grammY writes headers
 * (`content-disposition:form-data;name="x";filename=a.txt`, no spaces, unquoted file names).
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let index = body.indexOf(delimiter);
  while (index !== -1) {
    let start = index + delimiter.length;
    if (body.subarray(start, start + 2).toString() === "--") break;
    if (body.subarray(start, start + 2).toString() === "\r\n") start += 2;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    // The part ends with CRLF before the next delimiter.
    const part = body.subarray(start, next - 2);
    const split = part.indexOf("\r\n\r\n");
    const headers = part.subarray(0, split).toString("utf8");
    const data = part.subarray(split + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1] ?? "";
    const filename = /filename="?([^";\r\n]*)"?/i.exec(headers)?.[1];
    parts.push({ name, filename, data });
    index = next;
  }
  return parts;
}

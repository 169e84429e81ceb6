/**
 * A minimal Server-Sent Events reader over `fetch` (works in Node ≥ 18 and browsers, and
 * unlike EventSource can send an Authorization header): text in, one `data` string per
 * event out. Handles events split across chunks, CRLF, multi-line data and comments.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];

  /** Feeds decoded text; returns the data of every event it completed. */
  push(text: string): string[] {
    this.buffer += text;
    const out: string[] = [];
    for (;;) {
      const newline = this.buffer.search(/\r\n|\r|\n/);
      if (newline < 0) break;
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + width);
      if (line === '') {
        if (this.data.length > 0) out.push(this.data.join('\n'));
        this.data = [];
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
      // Comments (":") and other fields (event, id, retry) are not used by this server.
    }
    return out;
  }
}

import type { SMTPServerDataStream } from 'smtp-server';

/** An SMTP error with the reply code smtp-server sends (its `responseCode`). */
export function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * The message of a DATA command as bytes. smtp-server stops counting at its `size` limit but the
 * client keeps sending: the rest is read and dropped, and the message refused with 552, so a huge
 * message never sits in memory.
 */
export async function readMessage(stream: SMTPServerDataStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (length + chunk.length <= limit) chunks.push(chunk);
    length += chunk.length;
  }
  if (stream.sizeExceeded || length > limit) throw smtpError(552, `5.3.4 Message too big: the limit is ${limit} bytes`);
  return Buffer.concat(chunks);
}

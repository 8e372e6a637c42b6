import { createHash } from 'node:crypto';

/** A message attribute as SendMessage takes it (BinaryValue base64-encoded, as the JSON protocol carries it). */
export interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * MD5OfMessageAttributes as SQS computes it: attributes sorted by name, each as length-prefixed (4-byte big-endian)
 * name, data type, a transport byte (1 string/number, 2 binary) and length-prefixed value. Undefined without attributes.
 */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of names) {
    const { DataType, StringValue, BinaryValue } = attributes[name];
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(DataType, 'utf8'));
    const binary = DataType.startsWith('Binary');
    hash.update(Buffer.from([binary ? 2 : 1]));
    field(binary ? Buffer.from(BinaryValue ?? '', 'base64') : Buffer.from(StringValue ?? '', 'utf8'));
  }
  return hash.digest('hex');
}

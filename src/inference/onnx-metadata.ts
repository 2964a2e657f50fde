/**
 * The `metadata_props` of an ONNX file, read straight from its protobuf wire format: onnxruntime-node
 * does not expose them, and decoding the whole ModelProto with protobufjs (onnx-proto) cost 30–50 ms
 * of imports on every analysis start for two short strings.
 *
 * onnx.proto: ModelProto field 14 is `repeated StringStringEntryProto metadata_props`, whose fields
 * are 1 `key` and 2 `value` (strings). Every other field is skipped by its wire type; anything the
 * wire format does not allow (a length past the end, groups, wire types 6–7) is an error.
 */

const METADATA_PROPS = 14;

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  }

  /** Skips a field's value; for length-delimited fields returns [start, end) of its bytes. */
  field(wireType: number): [number, number] | null {
    switch (wireType) {
      case 0:
        this.varint();
        return null;
      case 1:
        return this.skip(8);
      case 2: {
        const len = this.varint();
        const start = this.pos;
        this.skip(len);
        return [start, start + len];
      }
      case 5:
        return this.skip(4);
      default:
        throw new Error(`wire type ${wireType} is not allowed here`);
    }
  }

  private skip(n: number): null {
    if (n > this.end - this.pos) throw new Error('a field runs past the end of its message');
    this.pos += n;
    return null;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Key/value metadata of ONNX model bytes (later duplicates win, as protobuf's last-one-wins). Throws on malformed bytes. */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const model = new Reader(bytes, 0, bytes.length);
  while (model.pos < model.end) {
    const tag = model.varint();
    const span = model.field(tag % 8);
    if (Math.floor(tag / 8) !== METADATA_PROPS || !span) continue;
    const entry = new Reader(bytes, span[0], span[1]);
    let key = '';
    let value = '';
    while (entry.pos < entry.end) {
      const t = entry.varint();
      const s = entry.field(t % 8);
      const fieldNo = Math.floor(t / 8);
      if (s && fieldNo === 1) key = utf8.decode(bytes.subarray(s[0], s[1]));
      else if (s && fieldNo === 2) value = utf8.decode(bytes.subarray(s[0], s[1]));
    }
    if (key) out[key] = value;
  }
  return out;
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonItems } from "../../src/engine/source.ts";
import { NdjsonFileSink } from "../../src/local/output.ts";

const sink = new NdjsonFileSink("unused.ndjson");
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const piece = (items: unknown[]) => new TextEncoder().encode(JSON.stringify(items));

describe("encoding records with items that are already JSON", () => {
  it("writes the line JSON.stringify writes for the same items as objects", () => {
    const items = fc.array(fc.array(fc.jsonValue(), { maxLength: 4 }), { maxLength: 4 });
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 }),
        items,
        items,
        fc.boolean(),
        (fields, details, entities, withUndefined) => {
          const record = {
            arn: "arn:aws:health:us-east-1::event/EC2/X/X_1",
            ...fields,
            details: new JsonItems(details.map(piece)),
            ...(withUndefined ? { dropped: undefined } : {}),
            entities: new JsonItems(entities.map(piece)),
          };
          const expected = `${JSON.stringify({ ...record, details: details.flat(), entities: entities.flat() })}\n`;
          expect(text(sink.encode([record]))).toBe(expected);
          expect(text(sink.encode([record, { arn: "b" }]))).toBe(`${expected}{"arn":"b"}\n`);
        },
      ),
    );
  });

  it("is the array of its items when serialized any other way", () => {
    const record = { arn: "a", details: new JsonItems([piece([1, { b: "é" }]), piece([]), piece(["c"])]) };
    expect(JSON.stringify(record)).toBe('{"arn":"a","details":[1,{"b":"é"},"c"]}');
    expect(text(sink.encode([record]))).toBe('{"arn":"a","details":[1,{"b":"é"},"c"]}\n');
  });
});

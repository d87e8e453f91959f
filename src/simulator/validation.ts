import type { TimeRange } from "./filters.ts";
import { fromEpochSeconds, isRecord, ServiceError, serializationError } from "./protocol.ts";

/**
 * Constraint violations, reported together the way AWS does:
 * "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: ...".
 * Wrong JSON types are not violations but serialization errors, thrown at once.
 */
export class Violations {
  readonly messages: string[] = [];

  add(value: unknown, path: string, constraint: string): void {
    this.messages.push(`Value ${render(value)} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  throwIfAny(): void {
    const n = this.messages.length;
    if (n === 0) return;
    const head = `${n} validation error${n === 1 ? "" : "s"} detected: `;
    throw new ServiceError("ValidationException", head + this.messages.join("; "));
  }
}

function render(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (Array.isArray(value))
    return `'[${value.map((v) => (isRecord(v) ? JSON.stringify(v) : String(v))).join(", ")}]'`;
  return `'${isRecord(value) ? JSON.stringify(value) : String(value)}'`;
}

export function readString(obj: Record<string, unknown>, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw serializationError(`Expected a string at '${path}'`);
  return v;
}

export function readInteger(obj: Record<string, unknown>, key: string, path: string): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v))
    throw serializationError(`Expected an integer at '${path}'`);
  return v;
}

export function readStruct(
  obj: Record<string, unknown>,
  key: string,
  path: string,
): Record<string, unknown> | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw serializationError(`Expected an object at '${path}'`);
  return v;
}

export function readList(obj: Record<string, unknown>, key: string, path: string): unknown[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw serializationError(`Expected a list at '${path}'`);
  return v;
}

export function readStringList(
  obj: Record<string, unknown>,
  key: string,
  path: string,
): string[] | undefined {
  const list = readList(obj, key, path);
  if (list?.some((item) => typeof item !== "string"))
    throw serializationError(`Expected strings in '${path}'`);
  return list as string[] | undefined;
}

export function readStructList(
  obj: Record<string, unknown>,
  key: string,
  path: string,
): Record<string, unknown>[] | undefined {
  const list = readList(obj, key, path);
  if (list?.some((item) => !isRecord(item))) throw serializationError(`Expected objects in '${path}'`);
  return list as Record<string, unknown>[] | undefined;
}

export function readRange(obj: Record<string, unknown>, key: string, path: string): TimeRange | undefined {
  const s = readStruct(obj, key, path);
  return s === undefined ? undefined : toRange(s, path);
}

export function readRangeList(
  obj: Record<string, unknown>,
  key: string,
  path: string,
): TimeRange[] | undefined {
  return readStructList(obj, key, path)?.map((s, i) => toRange(s, `${path}.${i + 1}.member`));
}

function toRange(s: Record<string, unknown>, path: string): TimeRange {
  const range: TimeRange = {};
  if (s.from !== undefined && s.from !== null) range.from = fromEpochSeconds(s.from, `${path}.from`);
  if (s.to !== undefined && s.to !== null) range.to = fromEpochSeconds(s.to, `${path}.to`);
  return range;
}

export function checkRequired(value: unknown, path: string, v: Violations): void {
  if (value === undefined || value === null) v.add(value, path, "Member must not be null");
}

export function checkLength(
  value: { length: number },
  path: string,
  min: number,
  max: number,
  v: Violations,
): void {
  if (value.length < min) v.add(value, path, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) v.add(value, path, `Member must have length less than or equal to ${max}`);
}

export function checkValue(value: number, path: string, min: number, max: number, v: Violations): void {
  if (value < min) v.add(value, path, `Member must have value greater than or equal to ${min}`);
  if (value > max) v.add(value, path, `Member must have value less than or equal to ${max}`);
}

export function checkEnum(
  values: readonly string[],
  path: string,
  allowed: readonly string[],
  v: Violations,
): void {
  if (values.every((x) => allowed.includes(x))) return;
  v.add(
    values,
    path,
    `Member must satisfy constraint: [Member must satisfy enum value set: [${allowed.join(", ")}]]`,
  );
}

export function checkPattern(values: readonly string[], path: string, pattern: RegExp, v: Violations): void {
  if (values.every((x) => pattern.test(x))) return;
  v.add(
    values,
    path,
    `Member must satisfy constraint: [Member must satisfy regular expression pattern: ${pattern.source}]`,
  );
}

export function checkStringPattern(value: string, path: string, pattern: RegExp, v: Violations): void {
  if (!pattern.test(value))
    v.add(value, path, `Member must satisfy regular expression pattern: ${pattern.source}`);
}

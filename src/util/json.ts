/**
 * JSON as the product reads and writes it: the object check, canonical JSON (sorted keys, for hashes),
 * the one parser of a JSON document (a checkpoint, a record, a cache entry) and the duplicate-key check
 * of a filter.
 */

/** Whether a parsed JSON value is an object: not null, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON with sorted keys, so equal values always hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The JSON object a document file holds, or undefined when it holds anything else (not JSON, an array,
 * nothing). A byte-order mark an editor added is harmless. Callers say what is wrong in their own words.
 */
export function parseDocument(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const doc: unknown = JSON.parse(text.replace(/^\uFEFF/, ""));
    return isObject(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The first key that appears twice in one object of `json`, or undefined. JSON.parse silently keeps
 * the last of them, so a member written twice would lose the first without a word (issue 15). A loop
 * with its own stack, not recursion: any nesting depth is fine. Only for text JSON.parse accepted.
 */
export function duplicateKey(json: string): string | undefined {
  // One entry per open object (its keys so far) or array (undefined).
  const open: (Set<string> | undefined)[] = [];
  let atKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      const end = stringEnd(json, i);
      const keys = open.at(-1);
      if (atKey && keys) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      atKey = false;
      i = end;
    } else if (c === "{") {
      open.push(new Set());
      atKey = true;
    } else if (c === "[") {
      open.push(undefined);
    } else if (c === "}" || c === "]") {
      open.pop();
    } else if (c === ",") {
      atKey = open.at(-1) !== undefined;
    }
  }
  return undefined;
}

/** Where the string that opens at `start` closes (its quote), past escapes. */
function stringEnd(json: string, start: number): number {
  let i = start + 1;
  while (json[i] !== '"') i += json[i] === "\\" ? 2 : 1;
  return i;
}

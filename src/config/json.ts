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

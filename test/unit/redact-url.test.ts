import { describe, expect, it } from "vitest";
import { redactUrl } from "../../src/errors.ts";

describe("redactUrl", () => {
  it("drops a user name and password, whatever the rest of the value is", () => {
    expect(redactUrl("http://user:pw@127.0.0.1:4566/x")).toBe("http://127.0.0.1:4566/x");
    expect(redactUrl("https://user@host")).toBe("https://host");
    expect(redactUrl("http://user:p@ss@host/a@b")).toBe("http://host/a@b");
    expect(redactUrl("user:pw@host")).toBe("host");
  });

  it("leaves a value without credentials as it is", () => {
    for (const v of [
      "https://health.us-east-1.amazonaws.com",
      "not-a-url",
      "http://host/path@x",
      "localhost:4566",
    ]) {
      expect(redactUrl(v)).toBe(v);
    }
  });
});

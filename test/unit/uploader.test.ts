import { describe, expect, it } from "vitest";
import { LatestOnlyQueue } from "../../src/action/cache/uploader.ts";

describe("one upload at a time, the newest waiting", () => {
  it("runs one job at a time; a newer job replaces the one waiting; idle waits for all", async () => {
    const ran: number[] = [];
    let running = 0;
    let most = 0;
    const queue = new LatestOnlyQueue<number>(async (n) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      ran.push(n);
      running -= 1;
    });
    for (let n = 1; n <= 5; n++) queue.push(n);
    await queue.idle();
    expect(ran).toEqual([1, 5]);
    expect(most).toBe(1);
    queue.push(6);
    queue.drop(); // 6 started at once (nothing ran): dropping only forgets what waits
    queue.push(7);
    queue.drop();
    await queue.idle();
    expect(ran).toEqual([1, 5, 6]);
  });

  it("a job that fails does not stop the next", async () => {
    const ran: number[] = [];
    const queue = new LatestOnlyQueue<number>(async (n) => {
      await new Promise((r) => setTimeout(r, 1));
      if (n === 1) throw new Error("boom");
      ran.push(n);
    });
    queue.push(1);
    queue.push(2);
    await queue.idle();
    expect(ran).toEqual([2]);
  });
});

import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";

// Endpoints that never answer in time, for the tests that the script never hangs.

/** An endpoint that accepts connections and never answers. */
export async function hungEndpoint(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer(() => {});
  server.on("connection", (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** An endpoint that answers at once with headers and then one byte every 5 s, forever. */
export async function tricklingEndpoint(): Promise<{ url: string; close: () => Promise<void> }> {
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
    res.write("{");
    const timer = setInterval(() => res.write(" "), 5_000);
    timers.add(timer);
    res.on("close", () => clearInterval(timer));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * One endpoint in front of several simulators, each standing for one AWS account: a request goes to
 * the simulator of its credentials' access key (from the SigV4 `Credential=` scope), as one real AWS
 * endpoint answers each account's credentials with that account's events. Two backups with the same
 * flags and the same endpoint then differ only in their credentials, as in the case the record must
 * keep apart.
 */
export async function accountRouter(
  routes: Readonly<Record<string, string>>,
): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const key = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const target = routes[key];
    if (target === undefined) {
      res.writeHead(403, { "content-type": "application/x-amz-json-1.1" });
      return void res.end(
        JSON.stringify({ __type: "UnrecognizedClientException", message: `unknown key ${key}` }),
      );
    }
    const upstream = request(
      `${target}${req.url ?? "/"}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

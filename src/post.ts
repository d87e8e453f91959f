import { run } from "./action/post.ts";

await run();

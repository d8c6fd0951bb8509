// The official openai npm SDK doing the local provider's work: every request body of a
// rendered JSONL file (one chat completion body a line) sent to BASE_URL with at most
// CONCURRENCY in flight. Prints requests/second. Usage: node sdk.mjs FILE CONCURRENCY
import fs from "node:fs";
import OpenAI from "openai";

const [file, conc] = [process.argv[2], Number(process.argv[3] || 256)];
const bodies = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const client = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY, maxRetries: 2 });
let next = 0, ok = 0, failed = 0;
const t0 = performance.now();
async function worker() {
  while (next < bodies.length) {
    const body = bodies[next++];
    try {
      const r = await client.chat.completions.create(body);
      if (r.choices[0].message.content !== undefined) ok++;
    } catch (e) {
      failed++;
    }
  }
}
await Promise.all(Array.from({ length: conc }, worker));
const secs = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ requests: bodies.length, ok, failed, seconds: secs, rps: bodies.length / secs }));

#!/usr/bin/env node
// MESSAGE_CREATE ingest of one shard with Eris, the Node.js reference for
// bench/gateway_ingest.sh; same interface and output as megane_gateway_ingest_bench.
//
//   node eris_ingest.js --api http://127.0.0.1:API_PORT[/api/v10] --token-file F --events N [--stats]
//
// A normal Eris bot (default caches, messageLimit 100) with one shard, zlib-stream and
// GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT. Eris asks GET /gateway/bot at --api and connects to
// the url fakecord returns. Prints {"ready":true} on Eris' `ready`; bench/gateway_ingest.sh then
// starts the burst. Reports events per CPU-second of this process (user + system, from
// process.cpuUsage()), measured from the first messageCreate to the Nth. --stats adds one line
// on stderr (RSS, heap, cached messages).
"use strict";

const fs = require("fs");
const https = require("https");
const net = require("net");
const Eris = require("eris");

// Eris inflates zlib-stream with zlib-sync, else pako, and with neither it silently turns
// `compress` off, which would measure something else: insist on the pinned zlib-sync.
let zlibVersion;
try {
  zlibVersion = require("zlib-sync").ZLIB_VERSION;
} catch (err) {
  process.stderr.write(`eris_ingest: zlib-sync is not usable (run bench/reference/setup.sh): ${err.message}\n`);
  process.exit(2);
}

function fail(message) {
  process.stderr.write(`eris_ingest: ${message}\n`);
  process.exit(1);
}

const args = { events: 200000, stats: false };
for (let i = 2; i < process.argv.length; ++i) {
  const flag = process.argv[i];
  if (flag === "--stats") args.stats = true;
  else if (flag === "--api") args.api = process.argv[++i];
  else if (flag === "--token-file") args.tokenFile = process.argv[++i];
  else if (flag === "--events") args.events = Number(process.argv[++i]);
  else { process.stderr.write(`eris_ingest: unknown flag ${flag}\n`); process.exit(2); }
}
if (!args.api || !args.tokenFile || !Number.isInteger(args.events) || args.events < 2) {
  process.stderr.write("usage: node eris_ingest.js --api http://127.0.0.1:PORT/api/v10 --token-file F --events N [--stats]\n");
  process.exit(2);
}

// --api: http://HOST:PORT, with or without the /api/v10 path (bench/gateway_ingest.sh passes none).
let api;
try {
  api = new URL(args.api);
} catch (err) {
  process.stderr.write(`eris_ingest: bad --api ${args.api}: ${err.message}\n`);
  process.exit(2);
}
if (api.protocol !== "http:") {
  process.stderr.write(`eris_ingest: --api must be plain http:// (fakecord without --tls)\n`);
  process.exit(2);
}
const apiPath = api.pathname.replace(/\/+$/, "") || "/api/v10";
const apiPort = Number(api.port) || 80;

let token;
try {
  token = fs.readFileSync(args.tokenFile, "utf8").replace(/[\r\n]+$/, "");
} catch (err) {
  fail(`cannot read token file: ${err.message}`);
}
if (!token) fail("token file is empty");
const rawToken = token.replace(/^Bot /, "");

// Eris' REST handler always calls https.request(); its documented `rest.agent` option is the
// hook. This agent keeps the https protocol (so https.request accepts it) but opens a plain TCP
// connection to the api port, so the requests go out as HTTP/1.1 in clear text to fakecord.
class PlainHttpAgent extends https.Agent {
  createConnection(options, callback) {
    const socket = net.createConnection({ host: api.hostname, port: apiPort });
    if (callback) socket.once("connect", () => callback(null, socket));
    return socket;
  }
}

const client = new Eris.Client(`Bot ${rawToken}`, {
  maxShards: 1,
  intents: 513 | 32768, // GUILDS | GUILD_MESSAGES, MESSAGE_CONTENT
  compress: true, // zlib-stream, inflated by zlib-sync (or pako when zlib-sync is missing)
  rest: {
    domain: api.hostname,
    baseURL: apiPath,
    agent: new PlainHttpAgent({ keepAlive: false }),
  },
});

const events = args.events;
let seen = 0;
let contentBytes = 0;
let cpuFirst = null;
let wallFirst = 0n;
let lastProgress = Date.now();
let done = false;

client.on("messageCreate", (msg) => {
  // What a bot reads of every message, so the parse is not wasted.
  if (typeof msg.content === "string") contentBytes += msg.content.length;
  if (msg.channel && msg.channel.id) contentBytes += 1;
  ++seen;
  lastProgress = Date.now();
  if (seen === 1) {
    cpuFirst = process.cpuUsage();
    wallFirst = process.hrtime.bigint();
  } else if (seen === events) {
    const cpu = process.cpuUsage(cpuFirst);
    const wallLast = process.hrtime.bigint();
    finish((cpu.user + cpu.system) / 1e6, Number(wallLast - wallFirst) / 1e9);
  }
});

let announced = false;
client.on("ready", () => {
  if (announced) return;
  announced = true;
  lastProgress = Date.now();
  process.stdout.write('{"ready":true}\n');
});

client.on("error", (err, id) => {
  process.stderr.write(`eris_ingest: error${id !== undefined ? ` (shard ${id})` : ""}: ${err && err.stack ? err.stack : err}\n`);
});
client.on("warn", (message, id) => {
  process.stderr.write(`eris_ingest: warn${id !== undefined ? ` (shard ${id})` : ""}: ${message}\n`);
});
client.on("shardDisconnect", (err, id) => {
  if (!done) process.stderr.write(`eris_ingest: shard ${id} disconnected${err ? `: ${err.message || err}` : ""}\n`);
});

function finish(cpuS, wallS) {
  done = true;
  try {
    report(cpuS, wallS);
  } catch (err) {
    // Eris catches what its event handlers throw and re-emits it as "error": exit here instead.
    fail(err && err.stack ? err.stack : String(err));
  }
}

function report(cpuS, wallS) {
  const counted = events - 1;
  const line = `{"events":${counted},"cpu_s":${cpuS.toFixed(4)},"wall_s":${wallS.toFixed(4)},` +
    `"events_per_cpu_s":${(counted / cpuS).toFixed(0)},"events_per_s":${(counted / wallS).toFixed(0)}}\n`;
  if (args.stats) {
    const mem = process.memoryUsage();
    let cached = 0;
    for (const guild of client.guilds.values()) {
      for (const channel of guild.channels.values()) if (channel.messages) cached += channel.messages.size;
    }
    process.stderr.write(`eris_ingest: eris ${Eris.VERSION}, zlib-sync ` +
      `${require("zlib-sync/package.json").version} (zlib ${zlibVersion}), node ${process.version}, rss ${(mem.rss / 1048576).toFixed(1)} MiB, heap used ` +
      `${(mem.heapUsed / 1048576).toFixed(1)} MiB, guilds ${client.guilds.size}, cached messages ${cached}, ` +
      `content bytes ${contentBytes}\n`);
  }
  client.disconnect({ reconnect: false });
  process.stdout.write(line, () => process.exit(contentBytes > 0 ? 0 : 1));
}

// fakecord stops sending after the burst; without this a lost event would hang the script.
const watchdog = setInterval(() => {
  if (done) return;
  const idle = Date.now() - lastProgress;
  if (!announced && idle > 60000) fail("not ready after 60 s");
  if (announced && idle > (seen > 0 ? 20000 : 60000)) fail(`stopped after ${seen} of ${events} events`);
}, 1000);
watchdog.unref();
// The watchdog is unref'd; the gateway connection keeps the process alive while it runs.

(async () => {
  await client.connect();
  // Eris sends its "Bot "-prefixed token in IDENTIFY; Discord accepts both forms there, fakecord
  // only the bare token (4004 otherwise). The shards were just spawned and have not identified
  // yet (that waits for HELLO), so give them the bare token.
  for (const shard of client.shards.values()) shard._token = rawToken;
})().catch((err) => fail(`connect failed: ${err && err.stack ? err.stack : err}`));

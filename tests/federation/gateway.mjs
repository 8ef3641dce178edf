// Compose subgraphs with @apollo/composition, serve the supergraph with @apollo/gateway in
// @apollo/server, run one operation through it, and print what happened as one JSON object.
//
//   node gateway.mjs <folder holding node_modules>  < {"subgraphs": [{"name", "url"}, ...],
//                                                     "query": "..."}
//
// stdout: {"supergraphSdl", "result"}, where result is the GraphQL response the
// gateway gave. Exit status 2 with the messages on stderr when the subgraphs do not compose;
// 1 on any other failure. The Apollo packages live in a cache folder outside this directory
// (the tests install them there), so they are required from it, not imported from here.

import { createRequire } from "node:module";
import path from "node:path";

const [modules] = process.argv.slice(2);
if (!modules) {
  fail(1, "usage: node gateway.mjs <folder holding node_modules> < request.json");
}
const require = createRequire(path.join(path.resolve(modules), "package.json"));
const { composeServices } = require("@apollo/composition");
const { ApolloGateway } = require("@apollo/gateway");
const { ApolloServer } = require("@apollo/server");
const { parse } = require("graphql");

function fail(status, message) {
  process.stderr.write(`${message}\n`);
  process.exit(status);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

// A subgraph's own SDL, federation directives included, as `_service { sdl }` gives it.
async function serviceSdl({ name, url }) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const body = await response.json();
  if (!response.ok || body.errors) {
    fail(1, `Subgraph ${name} at ${url} answered _service with ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.data._service.sdl;
}

const request = await readStdin();
const services = [];
for (const subgraph of request.subgraphs) {
  const sdl = await serviceSdl(subgraph);
  services.push({ name: subgraph.name, url: subgraph.url, typeDefs: parse(sdl) });
}

const composition = composeServices(services);
if (composition.errors) {
  fail(2, composition.errors.map((error) => `${error.extensions?.code}: ${error.message}`).join("\n"));
}

const server = new ApolloServer({
  gateway: new ApolloGateway({ supergraphSdl: composition.supergraphSdl }),
  cache: "bounded",
});
await server.start();
let response;
try {
  response = await server.executeOperation({ query: request.query });
} finally {
  await server.stop();
}
if (response.body.kind !== "single") {
  fail(1, `Expected one result, got a ${response.body.kind} response.`);
}
process.stdout.write(
  JSON.stringify({
    supergraphSdl: composition.supergraphSdl,
    result: response.body.singleResult,
  }),
);

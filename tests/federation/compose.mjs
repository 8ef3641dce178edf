// Compose subgraph SDLs with @apollo/composition's composeServices, and print the outcome as
// one JSON object.
//
//   node compose.mjs <folder holding node_modules>  < {"composition": "<package name>",
//                                                      "subgraphs": [{"name", "sdl"}, ...]}
//
// stdout: {"supergraphSdl", "hints"} when the subgraphs compose; otherwise exit status 2
// with the errors on stderr, one `CODE: message` a line; 1 on any other failure.
// `composition` names the package to compose with ("@apollo/composition", or an npm alias
// of another version of it that package.json pins); the packages live in a cache folder
// outside this directory (the tests install them there), so they are required from it.

import { createRequire } from "node:module";
import path from "node:path";

const [modules] = process.argv.slice(2);
if (!modules) {
  fail(1, "usage: node compose.mjs <folder holding node_modules> < request.json");
}
const require = createRequire(path.join(path.resolve(modules), "package.json"));
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

const request = await readStdin();
const { composeServices } = require(request.composition);
const services = request.subgraphs.map(({ name, sdl }) => ({
  name,
  // Never fetched: composition only records where the router would send requests.
  url: `http://${name}.invalid/graphql`,
  typeDefs: parse(sdl),
}));

const composition = composeServices(services);
if (composition.errors) {
  fail(2, composition.errors.map((error) => `${error.extensions?.code}: ${error.message}`).join("\n"));
}
process.stdout.write(
  JSON.stringify({
    supergraphSdl: composition.supergraphSdl,
    hints: (composition.hints ?? []).map((hint) => `${hint.definition?.code}: ${hint.message}`),
  }),
);

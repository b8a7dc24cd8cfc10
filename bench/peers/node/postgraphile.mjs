// PostGraphile over the PostgreSQL store Birlik synced, set up as its documentation shows: the
// Amber preset, the connection-filter plugin (for the payments' period >= filter), the node
// adaptor of grafserv. It checks one fixed API key in front of the handler and nothing else: no
// purposes, row rules, masking or audit.
//
// The store's foreign keys from payments to persons have only partial indexes (WHERE … IS NOT
// NULL), which PgIndexBehaviorsPlugin does not count: it would hide Person's payments, so the
// plugin is off, as PostGraphile's documentation advises for relations it hides.
//
// Environment: PEER_PORT, DATABASE_URL, PEER_API_KEY.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";

const port = Number(process.env.PEER_PORT);
const apiKey = process.env.PEER_API_KEY;

const preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"] })],
  grafserv: { port, graphqlPath: "/query", graphiql: false },
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const handler = serv.createHandler();
const server = createServer((req, res) => {
  if (req.headers.authorization !== `Bearer ${apiKey}`) {
    res.writeHead(401, { "content-type": "application/json" });
    res.end(JSON.stringify({ errors: [{ message: "not authenticated" }] }));
    return;
  }
  handler(req, res);
});
// Build the schema before listening, so that the first measured request does not pay for it.
await pgl.getSchemaResult();
server.listen(port, "127.0.0.1", () => console.log(`postgraphile: serving http://127.0.0.1:${port}/query`));

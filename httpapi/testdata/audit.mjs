// Runs the GraphQL-over-HTTP server audit of the graphql-http package against a running
// gateway and prints one line per audit; exits 1 when any audit ends in an error or a warning.
//
// usage: node audit.mjs URL TOKEN PACKAGE_DIR
//   URL          the /query endpoint
//   TOKEN        the bearer credential sent with every request
//   PACKAGE_DIR  a folder whose node_modules holds graphql-http
import { createRequire } from 'node:module';
import path from 'node:path';

const [url, token, dir] = process.argv.slice(2);
if (!url || !token || !dir) {
  console.error('usage: node audit.mjs URL TOKEN PACKAGE_DIR');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(dir), 'package.json'));
const { serverAudits } = require('graphql-http');

// Every /query request is authenticated and states its purpose, as a real client's would.
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('Authorization', 'Bearer ' + token);
  return fetch(input, { ...init, headers });
};

let ok = 0, warn = 0, errors = 0, notices = 0;
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  switch (result.status) {
    case 'ok': ok++; break;
    case 'notice': notices++; break;
    case 'warn': warn++; break;
    default: errors++;
  }
  if (result.status !== 'ok') {
    let body = '';
    try { body = await result.response.text(); } catch { /* already read or absent */ }
    console.log(`${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason} (status ${result.response?.status}) ${body.slice(0, 300)}`);
  }
}
console.log(`audit: ${ok} ok, ${notices} notices, ${warn} warnings, ${errors} errors`);
process.exit(warn + errors > 0 ? 1 : 0);

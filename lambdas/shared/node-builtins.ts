import type * as crypto from 'node:crypto';
import type * as http from 'node:http';

/*
 * Node built-ins that code on the inference function's cold path uses, required rather than imported. The function
 * bundles are ES modules (lib/private/mlops-function.ts), and an ES module `import` of a built-in builds its whole module
 * namespace: node:http's reads its WebSocket getters, which load Node's bundled undici (about 30 ms of a cold start),
 * node:crypto's its WebCrypto (about 7 ms). `require` returns the module object and loads neither.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export const nodeCrypto = require('node:crypto') as typeof crypto;
/** node:http or node:https (which loads TLS, a few ms more), as a URL's protocol needs; both have the same `request`. */
export const httpModuleFor = (url: URL): typeof http => (url.protocol === 'http:' ? require('node:http') : require('node:https')) as typeof http;
/* eslint-enable @typescript-eslint/no-require-imports */

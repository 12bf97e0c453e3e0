export * from './server.js';
export * from './tokens.js';
export * from './changes-feed.js';
export * from './http-status.js';

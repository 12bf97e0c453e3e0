export * from './v1-index.js';
export * from './v1-search.js';
export * from './v1-registry.js';
export * from './v1-publish.js';
export * from './v1-backend.js';
